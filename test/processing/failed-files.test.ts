import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import { DownloadDataFile } from '../../lib/download-data-file.js';
import type { FileRef } from '../../lib/pipeline-events.js';
import { FailedFiles } from '../../lib/processing/failed-files.js';
import { tempDir } from '../support/temp-dir.js';

/** The pipeline's reference to `subdir/filename` with `content`'s hash. */
function refOf(relativePath: string, content: Buffer, extra: Partial<FileRef> = {}): FileRef {
  const parts = relativePath.split('/');
  const filename = parts.pop()!;
  return {
    key: relativePath,
    relativePath,
    subdirStr: parts.join('/'),
    filename,
    filenameAppend: '',
    fileHash: sha512(content),
    nTotalChunks: 3,
    fileMtime: 1_700_000_000,
    generation: 2,
    firstSeenAt: new Date('2026-01-02T03:04:05.000Z'),
    ...extra,
  };
}

function memoryFile(ref: FileRef, content: Buffer): DownloadDataFile {
  return DownloadDataFile.fromRef(ref, { size: content.length, data: content });
}

test('save keeps the bytes and the identity under <staging>/failed; list gives them back', async (t) => {
  const staging = await tempDir(t, 'failed-files-');
  const failed = new FailedFiles(staging);
  assert.equal(failed.dir, join(staging, 'failed'));
  assert.deepEqual(await failed.list(), [], 'no directory yet: nothing kept');

  const content = Buffer.from('time,load\n0,1.5\n1,2.5\n');
  const ref = refOf('tensile/A1.csv', content);
  await failed.save(memoryFile(ref, content), ref);

  const names = (await readdir(failed.dir)).sort();
  assert.equal(names.length, 2);
  assert.ok(names[0]!.endsWith('.data') && names[1]!.endsWith('.json'), names.join(', '));
  const [entry] = await failed.list();
  assert.ok(entry);
  assert.equal(`${entry.name}.data`, names[0]);
  assert.deepEqual(await readFile(entry.dataPath), content);
  // Everything but the generation (a sink's staging detail) survives the round trip.
  assert.deepEqual(entry.ref, { ...ref, generation: 0 });
  assert.ok(Buffer.isBuffer(entry.ref.fileHash) && entry.ref.firstSeenAt instanceof Date);
});

test('save copies a file written to disk (disk mode) instead of reading it into memory', async (t) => {
  const dir = await tempDir(t, 'failed-files-disk-');
  const content = Buffer.alloc(70_000, 7);
  const onDisk = join(dir, 'out.bin');
  await writeFile(onDisk, content);
  const ref = refOf('raw/out.bin', content);
  const file = DownloadDataFile.fromRef(ref, { size: content.length, fullFilepath: onDisk });
  const failed = new FailedFiles(join(dir, 'staging'));
  await failed.save(file, ref);
  assert.equal(file.inMemory, false, 'the bytes were copied, not loaded');
  const [entry] = await failed.list();
  assert.deepEqual(await readFile(entry!.dataPath), content);
});

test('knows: what this instance saved at once, what an earlier run kept only after load()', async (t) => {
  const staging = await tempDir(t, 'failed-files-knows-');
  const content = Buffer.from('poison');
  const ref = refOf('p/poison.csv', content);
  const first = new FailedFiles(staging);
  assert.equal(first.knows(ref.relativePath, ref.fileHash), false);
  await first.save(memoryFile(ref, content), ref);
  assert.equal(first.knows(ref.relativePath, ref.fileHash), true);
  assert.equal(first.knows(ref.relativePath, sha512(Buffer.from('another generation'))), false, 'the hash is part of the identity');

  const next = new FailedFiles(staging);
  assert.equal(next.knows(ref.relativePath, ref.fileHash), false, 'nothing known before load');
  await next.load();
  assert.equal(next.knows(ref.relativePath, ref.fileHash), true);
});

test('saveMismatched leaves an identity-only marker: known after a restart, never listed for retry', async (t) => {
  const staging = await tempDir(t, 'failed-files-mismatch-');
  const ref = refOf('lies.dat', Buffer.from('the claimed content'));
  await new FailedFiles(staging).saveMismatched(ref);
  const names = await readdir(join(staging, 'failed'));
  assert.equal(names.length, 1);
  assert.ok(names[0]!.endsWith('.mismatched'), names[0]);

  const next = new FailedFiles(staging);
  await next.load();
  assert.equal(next.knows('lies.dat', ref.fileHash), true);
  assert.deepEqual(await next.list(), [], 'no bytes to retry');
});

test('remove deletes the kept copy and forgets it', async (t) => {
  const staging = await tempDir(t, 'failed-files-remove-');
  const failed = new FailedFiles(staging);
  const a = Buffer.from('a'.repeat(10));
  const b = Buffer.from('b'.repeat(20));
  const refA = refOf('x/a.txt', a);
  const refB = refOf('x/b.txt', b);
  await failed.save(memoryFile(refA, a), refA);
  await failed.save(memoryFile(refB, b), refB);
  const entryA = (await failed.list()).find((e) => e.ref.relativePath === 'x/a.txt')!;
  await failed.remove(entryA.name);
  assert.equal(failed.knows('x/a.txt', refA.fileHash), false);
  assert.equal(failed.knows('x/b.txt', refB.fileHash), true);
  assert.deepEqual((await failed.list()).map((e) => e.ref.relativePath), ['x/b.txt']);
  assert.deepEqual((await readdir(failed.dir)).filter((n) => n.startsWith(entryA.name)), [], 'both .json and .data are gone');
});

test('a half-written entry (a crash mid-save) is skipped, not fatal: that file is read again from Kafka', async (t) => {
  const staging = await tempDir(t, 'failed-files-torn-');
  const failed = new FailedFiles(staging);
  const content = Buffer.from('kept');
  const ref = refOf('ok.txt', content);
  await failed.save(memoryFile(ref, content), ref);
  await writeFile(join(failed.dir, 'torn.json'), '{"key":"torn.txt","relat');
  await writeFile(join(failed.dir, 'torn.data'), 'partial');
  assert.deepEqual((await failed.list()).map((e) => e.ref.relativePath), ['ok.txt']);
  const next = new FailedFiles(staging);
  await next.load();
  assert.equal(next.knows('ok.txt', ref.fileHash), true);
});
