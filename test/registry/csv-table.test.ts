import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CsvTable, isoTimestamp } from '../../lib/registry/csv-table.js';
import { tempDir as sharedTempDir, type AfterHook } from '../support/temp-dir.js';

const COLUMNS = ['name', 'path', 'n'] as const;

interface Closable {
  close(): Promise<void>;
}

/** A temp dir removed after the test, once everything passed to `track` is closed (LIFO). */
async function tempDir(t: AfterHook): Promise<{ dir: string; track: <T extends Closable>(x: T) => T }> {
  const open: Closable[] = [];
  // Registered first, so it runs before the shared helper removes the directory.
  t.after(async () => {
    for (const x of open.reverse()) await x.close();
  });
  const dir = await sharedTempDir(t, 'csv-table-');
  return { dir, track: (x) => (open.push(x), x) };
}

test('creates the file with only the header line', async (t) => {
  const { dir } = await tempDir(t);
  const path = join(dir, 'sub', 'table.csv');
  const table = await CsvTable.open(path, COLUMNS);
  assert.equal(table.recovery.created, true);
  assert.deepEqual(table.takeExistingRows(), []);
  await table.close();
  assert.equal(await readFile(path, 'utf8'), 'name;path;n\n');
});

test('append is buffered until flush; flush writes; reopen reads rows back', async (t) => {
  const { dir, track } = await tempDir(t);
  const path = join(dir, 'table.csv');
  const table = await CsvTable.open(path, COLUMNS);
  table.append({ name: 'a.dat', path: 'x/a.dat', n: 3 });
  table.append([{ name: 'b.dat', path: 'b.dat', n: 1 }, { name: 'c' }]);
  assert.equal(table.buffered, 3);
  assert.equal(await readFile(path, 'utf8'), 'name;path;n\n', 'nothing written before flush');
  await table.flush();
  assert.equal(table.buffered, 0);
  assert.equal(await readFile(path, 'utf8'), 'name;path;n\na.dat;x/a.dat;3\nb.dat;b.dat;1\nc;;\n');
  table.append({ name: 'd', path: 'd', n: 0 });
  await table.close();

  const again = await CsvTable.open(path, COLUMNS);
  track(again);
  assert.equal(again.recovery.created, false);
  assert.deepEqual(again.takeExistingRows(), [
    { name: 'a.dat', path: 'x/a.dat', n: '3' },
    { name: 'b.dat', path: 'b.dat', n: '1' },
    { name: 'c', path: '', n: '' },
    { name: 'd', path: 'd', n: '0' },
  ]);
  assert.deepEqual(again.takeExistingRows(), [], 'handed over once');
});

test('values with ; quotes and newlines are quoted and read back exactly', async (t) => {
  const { dir, track } = await tempDir(t);
  const path = join(dir, 'table.csv');
  const nasty = [
    { name: 'semi;colon', path: 'say "hi"', n: 'line\nbreak' },
    { name: 'cr\r\nlf', path: "it's", n: ' spaced ' },
    { name: 'ünïcødé ✓', path: '""', n: ';' },
  ];
  const table = await CsvTable.open(path, COLUMNS);
  table.append(nasty);
  await table.close();
  const text = await readFile(path, 'utf8');
  assert.ok(text.includes('"semi;colon";"say ""hi""";"line\nbreak"\n'), text);
  const again = await CsvTable.open(path, COLUMNS);
  track(again);
  assert.deepEqual(again.takeExistingRows(), nasty);
});

test('a torn last line is dropped and truncated, so the next append is clean', async (t) => {
  const { dir } = await tempDir(t);
  const path = join(dir, 'table.csv');
  await writeFile(path, 'name;path;n\na;a;1\nb;b;2\nc;c');
  const table = await CsvTable.open(path, COLUMNS);
  assert.equal(table.recovery.truncatedBytes, 'c;c'.length);
  assert.deepEqual(table.takeExistingRows(), [
    { name: 'a', path: 'a', n: '1' },
    { name: 'b', path: 'b', n: '2' },
  ]);
  table.append({ name: 'd', path: 'd', n: 4 });
  await table.close();
  assert.equal(await readFile(path, 'utf8'), 'name;path;n\na;a;1\nb;b;2\nd;d;4\n');
});

test('a last record torn inside a quoted multi-line field is dropped', async (t) => {
  const { dir } = await tempDir(t);
  const path = join(dir, 'table.csv');
  const whole = 'name;path;n\n"x\ny";p;1\n';
  // Torn right after a newline that is inside quotes: the file ends in "\n" but is not whole.
  await writeFile(path, whole + '"torn\n');
  const table = await CsvTable.open(path, COLUMNS);
  assert.equal(table.recovery.truncatedBytes, '"torn\n'.length);
  assert.deepEqual(table.takeExistingRows(), [{ name: 'x\ny', path: 'p', n: '1' }]);
  await table.close();
  assert.equal(await readFile(path, 'utf8'), whole);
});

test('a torn header (crash while creating) is rewritten', async (t) => {
  const { dir } = await tempDir(t);
  const path = join(dir, 'table.csv');
  await writeFile(path, 'name;pa');
  const table = await CsvTable.open(path, COLUMNS);
  assert.deepEqual(table.takeExistingRows(), []);
  await table.close();
  assert.equal(await readFile(path, 'utf8'), 'name;path;n\n');
});

test('an empty file gets its header', async (t) => {
  const { dir } = await tempDir(t);
  const path = join(dir, 'table.csv');
  await writeFile(path, '');
  const table = await CsvTable.open(path, COLUMNS);
  await table.close();
  assert.equal(await readFile(path, 'utf8'), 'name;path;n\n');
});

test('a foreign header is ERR_REGISTRY_IO and the file is left untouched', async (t) => {
  const { dir } = await tempDir(t);
  const path = join(dir, 'table.csv');
  await writeFile(path, 'other;columns\n1;2\n');
  await assert.rejects(CsvTable.open(path, COLUMNS), { code: 'ERR_REGISTRY_IO' });
  await writeFile(join(dir, 'noheader.csv'), 'something else entirely');
  await assert.rejects(CsvTable.open(join(dir, 'noheader.csv'), COLUMNS), { code: 'ERR_REGISTRY_IO' });
  assert.equal(await readFile(path, 'utf8'), 'other;columns\n1;2\n');
  assert.equal(await readFile(join(dir, 'noheader.csv'), 'utf8'), 'something else entirely');
});

test('an older header that is a prefix of the columns is upgraded', async (t) => {
  const { dir } = await tempDir(t);
  const path = join(dir, 'table.csv');
  await writeFile(path, 'sep=;\nname;path\na;b\n');
  const table = await CsvTable.open(path, COLUMNS);
  assert.equal(table.recovery.upgradedHeader, true);
  assert.deepEqual(table.takeExistingRows(), [{ name: 'a', path: 'b', n: '' }]);
  table.append({ name: 'c', path: 'd', n: 1 });
  await table.close();
  assert.equal(await readFile(path, 'utf8'), 'name;path;n\na;b;\nc;d;1\n');
});

test('records with the wrong field count are skipped and counted', async (t) => {
  const { dir, track } = await tempDir(t);
  const path = join(dir, 'table.csv');
  await writeFile(path, 'name;path;n\na;b;1\nbroken;row\nc;d;2;extra\ne;f;3\n');
  const table = await CsvTable.open(path, COLUMNS);
  track(table);
  assert.equal(table.recovery.skippedRecords, 2);
  assert.deepEqual(
    table.takeExistingRows().map((r) => r.name),
    ['a', 'e'],
  );
});

test('rewrite compacts atomically, leaves no temp file, and later appends follow it', async (t) => {
  const { dir } = await tempDir(t);
  const path = join(dir, 'table.csv');
  const table = await CsvTable.open(path, COLUMNS);
  table.append([{ name: 'a', path: 'a', n: 1 }, { name: 'b', path: 'b', n: 2 }]);
  await table.flush();
  // The in-progress pattern: row b updated, row a removed.
  await table.rewrite([{ name: 'b', path: 'b', n: 5 }]);
  table.append({ name: 'c', path: 'c', n: 3 });
  await table.flush();
  await table.close();
  assert.equal(await readFile(path, 'utf8'), 'name;path;n\nb;b;5\nc;c;3\n');
  assert.deepEqual(await readdir(dir), ['table.csv']);
});

test('rows appended before a rewrite call and not flushed are discarded; operations keep call order', async (t) => {
  const { dir } = await tempDir(t);
  const path = join(dir, 'table.csv');
  const table = await CsvTable.open(path, COLUMNS);
  table.append({ name: 'flushed', path: '', n: 1 });
  const flushed = table.flush();
  table.append({ name: 'dropped', path: '', n: 2 });
  const rewritten = table.rewrite([{ name: 'kept', path: '', n: 3 }]);
  table.append({ name: 'after', path: '', n: 4 });
  const closed = table.close();
  await Promise.all([flushed, rewritten, closed]);
  assert.equal(await readFile(path, 'utf8'), 'name;path;n\nkept;;3\nafter;;4\n');
});

test('append after close is a coded error; close is idempotent', async (t) => {
  const { dir } = await tempDir(t);
  const table = await CsvTable.open(join(dir, 't.csv'), COLUMNS);
  await table.close();
  await table.close();
  assert.throws(() => table.append({ name: 'x' }), { code: 'ERR_REGISTRY_IO' });
});

test('a file appended to by someone else after a crash keeps whole lines only', async (t) => {
  const { dir, track } = await tempDir(t);
  const path = join(dir, 'table.csv');
  const first = await CsvTable.open(path, COLUMNS);
  first.append({ name: 'a', path: 'a', n: 1 });
  await first.close();
  await appendFile(path, 'b;b;2\n"unterminated;x;');
  const table = await CsvTable.open(path, COLUMNS);
  track(table);
  assert.deepEqual(
    table.takeExistingRows().map((r) => r.name),
    ['a', 'b'],
  );
});

test('isoTimestamp: ISO-8601 local time with milliseconds and offset, same instant', () => {
  const date = new Date(Date.UTC(2026, 10, 27, 12, 34, 56, 789));
  const text = isoTimestamp(date);
  assert.match(text, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
  assert.equal(new Date(text).getTime(), date.getTime());
  if (date.getTimezoneOffset() === 0) assert.equal(text, '2026-11-27T12:34:56.789+00:00');
});
