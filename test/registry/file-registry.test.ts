import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileRegistry, type RegistryFile } from '../../lib/registry/file-registry.js';
import { tempDir as sharedTempDir, type AfterHook } from '../support/temp-dir.js';

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
  const dir = await sharedTempDir(t, 'file-registry-');
  return { dir, track: (x) => (open.push(x), x) };
}

function file(relativeFilepath: string, content: string, nTotalChunks = 2): RegistryFile & { fileHash: Buffer } {
  return {
    filename: relativeFilepath.split('/').pop() as string,
    relativeFilepath,
    nTotalChunks,
    fileHash: createHash('sha512').update(content).digest(),
  };
}

/** A clock that moves one second per call, from a fixed instant. */
function clock(start = Date.UTC(2026, 10, 27, 12, 0, 0)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

const IN_PROGRESS_HEADER = 'filename;rel_filepath;status;n_chunks;first_message;most_recent_message';
const PROCESSED_HEADER = 'filename;rel_filepath;n_chunks;first_message;processed_at;file_hash';

test('file names and headers are OpenMSIStream\'s, under <output_dir>/LOGS', async (t) => {
  const { dir } = await tempDir(t);
  const registry = await FileRegistry.open({ dir, topic: 'my_topic', group: 'grp-1' });
  await registry.close();
  assert.equal(registry.inProgressPath, join(dir, 'LOGS', 'consuming_from_my_topic_in_progress_by_grp-1.csv'));
  assert.equal(registry.processedPath, join(dir, 'LOGS', 'processed_from_my_topic_by_grp-1.csv'));
  assert.equal(await readFile(registry.inProgressPath, 'utf8'), `${IN_PROGRESS_HEADER}\n`);
  assert.equal(await readFile(registry.processedPath, 'utf8'), `${PROCESSED_HEADER}\n`);
});

test('in progress -> processed round trip, durable across reopen', async (t) => {
  const { dir, track } = await tempDir(t);
  const a = file('sub/dir/a.dat', 'aaa', 3);
  const b = file('b.dat', 'bbb');
  const registry = await FileRegistry.open({ dir, topic: 't', group: 'g', now: clock() });
  registry.markInProgress(a);
  registry.markInProgress(b);
  registry.markInProgress(a);
  await registry.flush();
  let text = await readFile(registry.inProgressPath, 'utf8');
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], IN_PROGRESS_HEADER);
  assert.equal(lines.length, 3, 'one row per path');
  assert.match(lines[1] as string, /^a\.dat;sub\/dir\/a\.dat;in_progress;3;\d{4}-\d{2}-\d{2}T[0-9:.]+[+-]\d{2}:\d{2};\d{4}-/);

  registry.markProcessed(a);
  await registry.close();
  text = await readFile(registry.inProgressPath, 'utf8');
  assert.ok(!text.includes('a.dat'), 'processed file left the in-progress table');
  const processed = (await readFile(registry.processedPath, 'utf8')).trimEnd().split('\n');
  assert.equal(processed.length, 2);
  const cells = (processed[1] as string).split(';');
  assert.deepEqual(cells.slice(0, 3), ['a.dat', 'sub/dir/a.dat', '3']);
  assert.equal(cells[5], a.fileHash.toString('hex'));
  assert.ok(new Date(cells[3] as string) < new Date(cells[4] as string), 'first_message kept from the in-progress row');

  const again = await FileRegistry.open({ dir, topic: 't', group: 'g' });
  track(again);
  assert.equal(again.isProcessed('sub/dir/a.dat', a.fileHash), true);
  assert.equal(again.isProcessed('sub/dir/a.dat', a.fileHash.toString('hex').toUpperCase()), true);
  assert.equal(again.isProcessed('sub/dir/a.dat', file('x', 'other').fileHash), false, 'same path, other content');
  assert.equal(again.isProcessed('b.dat', b.fileHash), false);
  assert.equal(again.processedCount, 1);
  assert.deepEqual(
    again.inProgressFiles().map((e) => [e.relativeFilepath, e.status, e.nChunks]),
    [['b.dat', 'in_progress', 2]],
  );
});

test('failed and mismatched_hash statuses', async (t) => {
  const { dir, track } = await tempDir(t);
  const registry = await FileRegistry.open({ dir, topic: 't', group: 'g', now: clock() });
  const a = file('a.dat', 'a');
  const b = file('b.dat', 'b');
  registry.markInProgress(a);
  registry.markFailed(a, new Error('boom'));
  registry.markMismatchedHash(b);
  assert.deepEqual(
    registry.failedFiles().map((e) => [e.relativeFilepath, e.reason]),
    [['a.dat', 'boom']],
  );
  assert.deepEqual(
    registry.mismatchedHashFiles().map((e) => e.relativeFilepath),
    ['b.dat'],
  );
  await registry.close();
  const text = await readFile(registry.inProgressPath, 'utf8');
  assert.match(text, /\na\.dat;a\.dat;failed;2;/);
  assert.match(text, /\nb\.dat;b\.dat;mismatched_hash;2;/);

  const again = await FileRegistry.open({ dir, topic: 't', group: 'g' });
  track(again);
  const failed = again.failedFiles();
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.reason, undefined, 'reasons are not persisted');
  assert.ok(failed[0]!.firstMessage <= failed[0]!.mostRecentMessage);
});

test('a path with ; and quotes survives the round trip', async (t) => {
  const { dir, track } = await tempDir(t);
  const weird = file('odd;dir/"quoted" name.dat', 'x');
  const registry = await FileRegistry.open({ dir, topic: 't', group: 'g' });
  registry.markInProgress(weird);
  registry.markProcessed(weird);
  const other = file('still;here.dat', 'y');
  registry.markInProgress(other);
  await registry.close();
  const again = await FileRegistry.open({ dir, topic: 't', group: 'g' });
  track(again);
  assert.equal(again.isProcessed(weird.relativeFilepath, weird.fileHash), true);
  assert.deepEqual(
    again.inProgressFiles().map((e) => e.relativeFilepath),
    ['still;here.dat'],
  );
});

test('a crash between the processed append and the in-progress rewrite is reconciled', async (t) => {
  const { dir } = await tempDir(t);
  const a = file('a.dat', 'a');
  const registry = await FileRegistry.open({ dir, topic: 't', group: 'g', now: clock() });
  registry.markInProgress(a);
  await registry.flush();
  const inProgressBefore = await readFile(registry.inProgressPath);
  registry.markProcessed(a);
  await registry.close();
  // Simulate the crash: the in-progress rewrite never happened.
  await writeFile(registry.inProgressPath, inProgressBefore);

  const again = await FileRegistry.open({ dir, topic: 't', group: 'g' });
  assert.equal(again.recovery.droppedStaleInProgress, 1);
  assert.deepEqual(again.inProgressFiles(), []);
  await again.close();
  assert.equal(await readFile(again.inProgressPath, 'utf8'), `${IN_PROGRESS_HEADER}\n`);
});

test('flushProcessed makes the processed rows durable and leaves the in-progress table as it was; reopening reconciles', async (t) => {
  const { dir, track } = await tempDir(t);
  const a = file('a.dat', 'a');
  const b = file('b.dat', 'b');
  const registry = await FileRegistry.open({ dir, topic: 't', group: 'g', now: clock() });
  registry.markInProgress(a);
  registry.markInProgress(b);
  await registry.flush();
  const inProgressBefore = await readFile(registry.inProgressPath, 'utf8');
  registry.markProcessed(a);
  await registry.flushProcessed();
  assert.match(await readFile(registry.processedPath, 'utf8'), /^a\.dat;a\.dat;2;/m, 'the processed row is on disk');
  assert.equal(await readFile(registry.inProgressPath, 'utf8'), inProgressBefore, 'the in-progress table waits for flush()');

  // A crash now: a reopened registry knows a.dat is done and keeps only b.dat in progress.
  const again = track(await FileRegistry.open({ dir, topic: 't', group: 'g' }));
  assert.equal(again.isProcessed('a.dat', a.fileHash), true);
  assert.deepEqual(again.inProgressFiles().map((e) => e.relativeFilepath), ['b.dat']);
  await registry.close();
});

test('a torn processed row from a crash is dropped, earlier rows kept', async (t) => {
  const { dir, track } = await tempDir(t);
  const a = file('a.dat', 'a');
  const registry = await FileRegistry.open({ dir, topic: 't', group: 'g' });
  registry.markProcessed(a);
  await registry.close();
  const b = file('b.dat', 'b');
  await writeFile(registry.processedPath, (await readFile(registry.processedPath, 'utf8')) + `b.dat;b.dat;2;2026-11-27T12:00:00.000+00:00;2026-11-27T12:0`);
  const again = await FileRegistry.open({ dir, topic: 't', group: 'g' });
  track(again);
  assert.ok(again.recovery.truncatedBytes > 0);
  assert.equal(again.isProcessed('a.dat', a.fileHash), true);
  assert.equal(again.isProcessed('b.dat', b.fileHash), false);
});

test('tables written by OpenMSIStream itself are read (repr cells, its timestamp format)', async (t) => {
  const { dir, track } = await tempDir(t);
  await mkdir(join(dir, 'LOGS'));
  // Exactly what openmsistream's DataclassTable writes (no file_hash column in processed).
  await writeFile(
    join(dir, 'LOGS', 'processed_from_t_by_g.csv'),
    "filename;rel_filepath;n_chunks;first_message;processed_at\n'old.dat';'sub/old.dat';3;'Fri Nov 27, 2026 at 12:34:56';'Fri Nov 27, 2026 at 12:35:00'\n",
  );
  await writeFile(
    join(dir, 'LOGS', 'consuming_from_t_in_progress_by_g.csv'),
    `${IN_PROGRESS_HEADER}\n'bad.dat';'bad.dat';'failed';2;'Fri Nov 27, 2026 at 12:34:56';'Fri Nov 27, 2026 at 12:40:01'\n`,
  );
  const registry = await FileRegistry.open({ dir, topic: 't', group: 'g' });
  assert.equal(registry.processedCount, 1);
  assert.equal(registry.isProcessed('sub/old.dat', file('x', 'old').fileHash), false, 'no hash: never a match');
  const failed = registry.failedFiles();
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.relativeFilepath, 'bad.dat');
  assert.equal(failed[0]?.nChunks, 2);
  assert.equal(failed[0]?.mostRecentMessage.getTime(), new Date(2026, 10, 27, 12, 40, 1).getTime(), 'local time');
  const fresh = file('new.dat', 'new');
  registry.markProcessed(fresh);
  await registry.close();
  const text = await readFile(registry.processedPath, 'utf8');
  assert.ok(text.startsWith(`${PROCESSED_HEADER}\n'old.dat';'sub/old.dat';3;`), 'header upgraded, old row kept');
  const again = await FileRegistry.open({ dir, topic: 't', group: 'g' });
  track(again);
  assert.equal(again.isProcessed('new.dat', fresh.fileHash), true);
  assert.equal(again.processedCount, 2);
});

test('bad topic, group and hash are coded errors; use after close too', async (t) => {
  const { dir } = await tempDir(t);
  await assert.rejects(FileRegistry.open({ dir, topic: '../x', group: 'g' }), { code: 'ERR_INVALID_ARGUMENT' });
  await assert.rejects(FileRegistry.open({ dir, topic: 't', group: '' }), { code: 'ERR_INVALID_ARGUMENT' });
  const registry = await FileRegistry.open({ dir, topic: 't', group: 'g' });
  assert.throws(() => registry.markProcessed({ filename: 'a', relativeFilepath: 'a', nTotalChunks: 1 }), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => registry.isProcessed('a', 'abc'), { code: 'ERR_INVALID_ARGUMENT' });
  await registry.close();
  await registry.close();
  assert.throws(() => registry.markInProgress(file('a', 'a')), { code: 'ERR_REGISTRY_IO' });
});
