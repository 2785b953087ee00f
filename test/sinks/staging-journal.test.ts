/**
 * StagingJournal on its own: the lines it writes, what it restores at open (torn lines, files
 * whose staging file is gone or short, files that left), its compaction, and its removal when
 * nothing is left in staging.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { StagingJournal, journalPath } from '../../lib/sinks/staging-journal.js';
import type { FileIdentity } from '../../lib/types.js';
import { tempDir } from '../support/temp-dir.js';

async function stagingDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  return join(await tempDir(t, 'journal-'), '.datafile-stream-staging');
}

const file: FileIdentity = {
  key: 'a/b.dat', relativePath: 'a/b_v2.dat', subdirStr: 'a', filename: 'b.dat', filenameAppend: '_v2',
  fileHash: createHash('sha512').update('b').digest(), nTotalChunks: 2, fileMtime: 1700000000.5,
};
const chunk = (offset: number, length: number, chunkI: number, recordOffset: string) => ({ offset, length, chunkI, position: { topic: 't', partition: 0, offset: recordOffset } });

test('a journal whose files all left staging is removed at close', async (t) => {
  const dir = await stagingDir(t);
  const journal = await StagingJournal.open(dir, 't', 'g');
  journal.addChunks('s1', file, [chunk(0, 4, 1, '7')]);
  await journal.sync();
  assert.ok(existsSync(journal.path));
  journal.done('s1');
  await journal.close();
  assert.equal(existsSync(journal.path), false, 'no empty journal left behind');
});

test('a journal opened and closed with nothing in it is removed', async (t) => {
  const dir = await stagingDir(t);
  const journal = await StagingJournal.open(dir, 't', 'g');
  await journal.close();
  assert.equal(existsSync(journal.path), false);
});

test('a partial file is restored at the next open with its whole identity and its chunks', async (t) => {
  const dir = await stagingDir(t);
  const journal = await StagingJournal.open(dir, 't', 'g');
  await writeFile(join(dir, 's2'), Buffer.alloc(8));
  journal.addChunks('s2', file, [chunk(0, 4, 1, '7')]);
  journal.addChunks('s2', file, [chunk(4, 4, 2, '9')]);
  await journal.close();
  assert.ok(existsSync(journal.path), 'kept: it lists a file still in staging');
  const again = await StagingJournal.open(dir, 't', 'g');
  t.after(() => again.close());
  assert.deepEqual(again.restored, [{ staging: 's2', file, chunks: [chunk(0, 4, 1, '7'), chunk(4, 4, 2, '9')] }]);
});

test('the file lines keep the short keys earlier versions wrote, and such a journal is read back', async (t) => {
  const dir = await stagingDir(t);
  const journal = await StagingJournal.open(dir, 't', 'g');
  await writeFile(join(dir, 's3'), Buffer.alloc(4));
  journal.addChunks('s3', file, [chunk(0, 4, 1, '3')]);
  await journal.close();
  const lines = (await readFile(journal.path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines[0], { t: 'f', s: 's3', k: 'a/b.dat', sd: 'a', fn: 'b.dat', fa: '_v2', h: file.fileHash.toString('hex'), n: 2, m: 1700000000.5 });
  assert.deepEqual(lines[1], { t: 'c', s: 's3', o: 0, l: 4, i: 1, tp: 't', p: 0, r: '3' });
  const again = await StagingJournal.open(dir, 't', 'g');
  t.after(() => again.close());
  assert.equal(again.restored[0]?.file.relativePath, 'a/b_v2.dat', 'the relative path is derived as the assembler derives it');
});

test('opening skips a torn last line, files that left, and files whose staging file is gone or short; it compacts', async (t) => {
  const dir = await stagingDir(t);
  const journal = await StagingJournal.open(dir, 't', 'g');
  await writeFile(join(dir, 'kept'), Buffer.alloc(4));
  await writeFile(join(dir, 'short'), Buffer.alloc(2));
  await writeFile(join(dir, 'left'), Buffer.alloc(4));
  for (const name of ['kept', 'short', 'gone', 'left']) journal.addChunks(name, file, [chunk(0, 4, 1, '1')]);
  journal.done('left');
  await journal.close();
  await appendFile(journalPath(dir, 't', 'g'), '{"t":"c","s":"kept","o":4,"l"'); // a crash mid-line
  const again = await StagingJournal.open(dir, 't', 'g');
  t.after(() => again.close());
  assert.deepEqual(again.restored.map((f) => [f.staging, f.chunks.length]), [['kept', 1]]);
  const text = await readFile(again.path, 'utf8');
  assert.equal(text.trim().split('\n').length, 2, 'rewritten with only the live file: its file line and its chunk');
});

test('a journal belongs to one topic and group', async (t) => {
  const dir = await stagingDir(t);
  assert.notEqual(journalPath(dir, 't', 'g1'), journalPath(dir, 't', 'g2'));
  const journal = await StagingJournal.open(dir, 't', 'g1');
  await writeFile(join(dir, 's'), Buffer.alloc(4));
  journal.addChunks('s', file, [chunk(0, 4, 1, '1')]);
  await journal.close();
  const other = await StagingJournal.open(dir, 't', 'g2');
  t.after(() => other.close());
  assert.deepEqual(other.restored, []);
});
