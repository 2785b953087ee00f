import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UploadRegistry } from '../../lib/registry/upload-registry.js';
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
  const dir = await sharedTempDir(t, 'upload-registry-');
  return { dir, track: (x) => (open.push(x), x) };
}

const HASH = createHash('sha512').update('content').digest();
const OTHER_HASH = createHash('sha512').update('other').digest();
// A real fs mtimeMs has a fractional part; it must compare equal after a round trip.
const MTIME = 1700000000123.4567;

const IN_PROGRESS_HEADER =
  'filename;rel_filepath;n_chunks;n_chunks_delivered;n_chunks_to_send;started;chunks_delivered;chunks_to_send;file_size;file_mtime;file_hash';
const UPLOADED_HEADER = 'filename;rel_filepath;n_chunks;started;completed;file_size;file_mtime;file_hash';

test('file names and headers follow OpenMSIStream\'s ProducerFileRegistry', async (t) => {
  const { dir } = await tempDir(t);
  const registry = await UploadRegistry.open({ dir, topic: 'raw_data' });
  await registry.close();
  assert.equal(registry.inProgressPath, join(dir, 'LOGS', 'upload_to_raw_data_in_progress.csv'));
  assert.equal(registry.uploadedPath, join(dir, 'LOGS', 'uploaded_to_raw_data.csv'));
  assert.equal(await readFile(registry.inProgressPath, 'utf8'), `${IN_PROGRESS_HEADER}\n`);
  assert.equal(await readFile(registry.uploadedPath, 'utf8'), `${UPLOADED_HEADER}\n`);
});

test('a restart resends only the chunks that were not acknowledged', async (t) => {
  const { dir, track } = await tempDir(t);
  const registry = await UploadRegistry.open({ dir, topic: 't' });
  const info = { size: 2500, mtimeMs: MTIME, nChunks: 5, fileHash: HASH };
  assert.deepEqual(registry.markStarted('sub/a.dat', info), [1, 2, 3, 4, 5]);
  assert.equal(registry.markChunkAcked('sub/a.dat', 2), false);
  assert.equal(registry.markChunkAcked('sub/a.dat', 4), false);
  assert.equal(registry.markChunkAcked('sub/a.dat', 4), false, 'acks are idempotent');
  await registry.close();
  const row = (await readFile(registry.inProgressPath, 'utf8')).trimEnd().split('\n')[1] as string;
  const cells = row.split(';');
  assert.deepEqual(cells.slice(0, 5), ['a.dat', 'sub/a.dat', '5', '2', '3']);
  assert.deepEqual(cells.slice(6, 10), ['{2, 4}', '{1, 3, 5}', '2500', String(MTIME / 1000)]);
  assert.equal(cells[10], HASH.toString('hex'));

  const again = await UploadRegistry.open({ dir, topic: 't' });
  track(again);
  assert.deepEqual(again.chunksToSend('sub/a.dat', 2500, MTIME), [1, 3, 5]);
  assert.equal(again.chunksToSend('sub/a.dat', 2500, MTIME + 1), undefined, 'file changed since');
  assert.equal(again.chunksToSend('sub/a.dat', 2501, MTIME), undefined);
  assert.deepEqual(again.markStarted('sub/a.dat', info), [1, 3, 5], 'same content resumes');
  for (const i of [1, 3]) assert.equal(again.markChunkAcked('sub/a.dat', i), false);
  assert.equal(again.markChunkAcked('sub/a.dat', 5), true, 'all acknowledged');
  assert.equal(again.isUploaded('sub/a.dat', 2500, MTIME), false, 'not before markUploaded');
  again.markUploaded('sub/a.dat');
  assert.equal(again.isUploaded('sub/a.dat', 2500, MTIME), true);
  assert.equal(again.markChunkAcked('sub/a.dat', 1), false, 'a late ack is ignored');
  assert.deepEqual(again.inProgressFiles(), []);
});

test('a changed file starts over', async (t) => {
  const { dir, track } = await tempDir(t);
  const registry = await UploadRegistry.open({ dir, topic: 't' });
  track(registry);
  registry.markStarted('a', { size: 10, mtimeMs: MTIME, nChunks: 2, fileHash: HASH });
  registry.markChunkAcked('a', 1);
  assert.deepEqual(registry.markStarted('a', { size: 10, mtimeMs: MTIME, nChunks: 2, fileHash: OTHER_HASH }), [1, 2]);
  registry.markChunkAcked('a', 1);
  assert.deepEqual(registry.markStarted('a', { size: 11, mtimeMs: MTIME, nChunks: 2 }), [1, 2]);
  registry.markChunkAcked('a', 1);
  assert.deepEqual(registry.markStarted('a', { size: 11, mtimeMs: MTIME, nChunks: 2 }), [2], 'same content resumes');
  assert.deepEqual(registry.markStarted('a', { size: 11, mtimeMs: MTIME + 5, nChunks: 2 }), [1, 2], 'touched since');
});

test('uploaded round trip across reopen, keyed to size and mtime', async (t) => {
  const { dir, track } = await tempDir(t);
  const registry = await UploadRegistry.open({ dir, topic: 't' });
  registry.markStarted('x;y "z".dat', { size: 1, mtimeMs: MTIME, nChunks: 1, fileHash: HASH });
  registry.markChunkAcked('x;y "z".dat', 1);
  registry.markUploaded('x;y "z".dat');
  // Uploaded without ever being started (a one-shot upload).
  registry.markUploaded('b.dat', { size: 0, mtimeMs: 0, nChunks: 1, fileHash: HASH.toString('hex') });
  await registry.close();
  const lines = (await readFile(registry.uploadedPath, 'utf8')).trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.ok((lines[1] as string).startsWith('"x;y ""z"".dat";"x;y ""z"".dat";1;'), lines[1]);
  assert.equal(await readFile(registry.inProgressPath, 'utf8'), `${IN_PROGRESS_HEADER}\n`);

  const again = await UploadRegistry.open({ dir, topic: 't' });
  track(again);
  assert.equal(again.isUploaded('x;y "z".dat', 1, MTIME), true);
  assert.equal(again.isUploaded('x;y "z".dat', 1, MTIME + 0.001), false);
  assert.equal(again.isUploaded('b.dat', 0, 0), true);
  assert.equal(again.isUploaded('b.dat', 1, 0), false);
  assert.equal(again.isUploaded('never.dat', 0, 0), false);
});

test('argument errors are coded', async (t) => {
  const { dir, track } = await tempDir(t);
  await assert.rejects(UploadRegistry.open({ dir, topic: 'a/b' }), { code: 'ERR_INVALID_ARGUMENT' });
  const registry = await UploadRegistry.open({ dir, topic: 't' });
  track(registry);
  assert.throws(() => registry.markStarted('a', { size: -1, mtimeMs: 0, nChunks: 1 }), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => registry.markStarted('a', { size: 1, mtimeMs: 0, nChunks: 0 }), { code: 'ERR_INVALID_ARGUMENT' });
  registry.markStarted('a', { size: 1, mtimeMs: 0, nChunks: 2 });
  assert.throws(() => registry.markChunkAcked('a', 3), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => registry.markUploaded('a'), { code: 'ERR_INVALID_ARGUMENT' }, 'no hash known');
  assert.throws(() => registry.markUploaded('never'), { code: 'ERR_INVALID_ARGUMENT' });
});

test('tables written by OpenMSIStream are read: uploaded rows count, in-progress rows are not resumed', async (t) => {
  const { dir, track } = await tempDir(t);
  await mkdir(join(dir, 'LOGS'));
  await writeFile(
    join(dir, 'LOGS', 'uploaded_to_t.csv'),
    "filename;rel_filepath;n_chunks;started;completed\n'old.dat';'sub/old.dat';2;'Fri Nov 27, 2026 at 12:34:56';'Fri Nov 27, 2026 at 12:35:00'\n",
  );
  await writeFile(
    join(dir, 'LOGS', 'upload_to_t_in_progress.csv'),
    "filename;rel_filepath;n_chunks;n_chunks_delivered;n_chunks_to_send;started;chunks_delivered;chunks_to_send\n'half.dat';'half.dat';3;1;2;'Fri Nov 27, 2026 at 12:34:56';{2};{1, 3}\n",
  );
  const registry = await UploadRegistry.open({ dir, topic: 't' });
  track(registry);
  assert.equal(registry.isUploaded('sub/old.dat', 123, MTIME), true, 'OpenMSIStream treats it as uploaded');
  const [half] = registry.inProgressFiles();
  assert.equal(half?.relativeFilepath, 'half.dat');
  assert.deepEqual([...(half?.chunksDelivered ?? [])], [2]);
  assert.equal(registry.chunksToSend('half.dat', 3, MTIME), undefined, 'unknown size/mtime: never resumed');
  assert.deepEqual(registry.markStarted('half.dat', { size: 3, mtimeMs: MTIME, nChunks: 3 }), [1, 2, 3]);
});

test('flushes called while one is writing share the next one, and each covers the marks made before its call', async (t) => {
  const { dir, track } = await tempDir(t);
  const registry = track(await UploadRegistry.open({ dir, topic: 't' }));
  const names = Array.from({ length: 20 }, (_, i) => `f${String(i).padStart(2, '0')}.dat`);
  const flushes = names.map(async (name, i) => {
    registry.markStarted(name, { size: i + 1, mtimeMs: MTIME, nChunks: 2, fileHash: HASH });
    registry.markChunkAcked(name, 1);
    if (i % 2 === 0) registry.markUploaded(name, { fileHash: HASH });
    await registry.flush();
    // Durable when this call's promise resolves: read the files as they are now.
    const uploaded = await readFile(registry.uploadedPath, 'utf8');
    const inProgress = await readFile(registry.inProgressPath, 'utf8');
    return { name, i, uploaded, inProgress };
  });
  const seen = await Promise.all(flushes);
  for (const { name, i, uploaded, inProgress } of seen) {
    if (i % 2 === 0) assert.match(uploaded, new RegExp(`^${name};`, 'm'), `${name} is in the uploaded table when its flush resolved`);
    else assert.match(inProgress, new RegExp(`^${name};${name};2;1;1;`, 'm'), `${name} is in progress with chunk 1 delivered when its flush resolved`);
  }
  const uploadedLines = (await readFile(registry.uploadedPath, 'utf8')).trimEnd().split('\n');
  assert.equal(uploadedLines.length, 1 + 10, 'each uploaded row written once');
});
