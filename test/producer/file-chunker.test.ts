/**
 * file-chunker without Kafka: the digest pass and the chunk pass over files of every awkward size,
 * and the coded errors for a file that changed, vanished or cannot be read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, stat, truncate, unlink, utimes, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeChunk, encodeChunk } from '../../lib/codec/chunk-codec.js';
import { EMPTY_SHA512 } from '../../lib/codec/chunk-hash.js';
import { errorCodeOf } from '../../lib/errors.js';
import { digestFile, readChunkRecords, readChunks, snapshotFile, type ChunkIdentity } from '../../lib/producer/file-chunker.js';
import { crc32c } from '@node-rs/crc32';
import type { DataFileChunk } from '../../lib/types.js';
import { tempDir } from '../support/temp-dir.js';

const CHUNK = 4096;
const IDENTITY: ChunkIdentity = { filename: 'x.dat', subdirStr: 'a/b', filenameAppend: '' };

const sha512 = (data: Uint8Array): Buffer => createHash('sha512').update(data).digest();

async function collect(path: string, chunkSize: number, identity = IDENTITY): Promise<DataFileChunk[]> {
  const digest = await digestFile(path, chunkSize);
  const chunks: DataFileChunk[] = [];
  for await (const chunk of readChunks(path, digest, identity)) chunks.push(chunk);
  return chunks;
}

async function rejectsWithCode(promise: Promise<unknown>, code: string, path?: string): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof Error, `expected ${code}, nothing was thrown`);
  assert.equal(errorCodeOf(caught), code, `expected ${code}, got ${errorCodeOf(caught)}: ${caught.message}`);
  if (path !== undefined) assert.ok(caught.message.includes(path), `the message names the file: ${caught.message}`);
  return caught;
}

for (const [label, size] of [
  ['empty', 0],
  ['one byte', 1],
  ['chunk - 1', CHUNK - 1],
  ['exactly one chunk', CHUNK],
  ['chunk + 1', CHUNK + 1],
  ['five chunks', 5 * CHUNK],
] as const) {
  test(`digest and chunks of a file of ${label} (${size} bytes)`, async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x.dat');
    const content = randomBytes(size);
    await writeFile(path, content);
    const info = await stat(path, { bigint: true });

    const digest = await digestFile(path, CHUNK);
    const expectedChunks = Math.max(1, Math.ceil(size / CHUNK));
    assert.equal(digest.size, size);
    assert.equal(digest.chunkSize, CHUNK);
    assert.equal(digest.chunkHashes.length, expectedChunks);
    assert.deepEqual(digest.fileHash, sha512(content));
    // Seconds as CPython's st_mtime: whole seconds plus nanoseconds * 1e-9.
    assert.equal(digest.mtime, Number(info.mtimeNs / 1_000_000_000n) + Number(info.mtimeNs % 1_000_000_000n) * 1e-9);

    const chunks: DataFileChunk[] = [];
    for await (const chunk of readChunks(path, digest, IDENTITY)) chunks.push(chunk);
    assert.equal(chunks.length, expectedChunks);
    chunks.forEach((chunk, i) => {
      assert.equal(chunk.chunkI, i + 1);
      assert.equal(chunk.nTotalChunks, expectedChunks);
      assert.equal(chunk.chunkOffsetWrite, i * CHUNK);
      assert.equal(chunk.filename, 'x.dat');
      assert.equal(chunk.subdirStr, 'a/b');
      assert.equal(chunk.filenameAppend, '');
      assert.deepEqual(chunk.fileHash, sha512(content));
      assert.deepEqual(chunk.chunkHash, sha512(chunk.data));
      assert.deepEqual(chunk.chunkHash, digest.chunkHashes[i]);
      assert.equal(chunk.fileMtime, digest.mtime);
      assert.ok(chunk.data.length <= CHUNK);
      // Every chunk survives the wire format.
      const back = decodeChunk(encodeChunk(chunk));
      assert.deepEqual(back.data, chunk.data);
      assert.equal(back.chunkI, chunk.chunkI);
    });
    assert.deepEqual(Buffer.concat(chunks.map((c) => c.data)), content);
    if (size === 0) {
      assert.equal(chunks[0]!.data.length, 0);
      assert.deepEqual(chunks[0]!.fileHash, EMPTY_SHA512);
      assert.deepEqual(chunks[0]!.chunkHash, EMPTY_SHA512);
    }
  });
}

test('chunk sizes larger than the read buffer, and a chunk size of one byte', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'big.bin');
  // The digest pass reads at most 1 MiB at a time: a 2 MiB chunk spans several reads and the
  // last chunk is a partial one that starts in the middle of a read.
  const content = randomBytes(5 * 1024 * 1024 + 12345);
  await writeFile(path, content);
  const big = await collect(path, 2 * 1024 * 1024);
  assert.deepEqual(
    big.map((c) => c.data.length),
    [2 * 1024 * 1024, 2 * 1024 * 1024, 1024 * 1024 + 12345],
  );
  assert.deepEqual(Buffer.concat(big.map((c) => c.data)), content);

  const small = join(dir, 'small.bin');
  await writeFile(small, 'hello');
  const ones = await collect(small, 1);
  assert.deepEqual(
    ones.map((c) => [c.chunkI, c.nTotalChunks, c.chunkOffsetWrite, c.data.toString()]),
    [
      [1, 5, 0, 'h'],
      [2, 5, 1, 'e'],
      [3, 5, 2, 'l'],
      [4, 5, 3, 'l'],
      [5, 5, 4, 'o'],
    ],
  );
});

test('a file rewritten between digest and read (same size) is ERR_FILE_CHANGED at the changed chunk', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'x.dat');
  const content = randomBytes(5 * CHUNK);
  await writeFile(path, content);
  const digest = await digestFile(path, CHUNK);
  const changed = Buffer.from(content);
  changed[3 * CHUNK + 7] = changed[3 * CHUNK + 7]! ^ 0xff; // inside chunk 4
  await writeFile(path, changed);

  const yielded: number[] = [];
  const err = await rejectsWithCode(
    (async () => {
      for await (const chunk of readChunks(path, digest, IDENTITY)) yielded.push(chunk.chunkI);
    })(),
    'ERR_FILE_CHANGED',
    path,
  );
  assert.deepEqual(yielded, [1, 2, 3], 'chunks before the change were still good');
  assert.match(err.message, /chunk 4/);
});

test('a file rewritten between digest and read with its size and mtime restored is ERR_FILE_CHANGED at the changed chunk', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'x.dat');
  const content = randomBytes(5 * CHUNK + 100);
  await writeFile(path, content);
  // A whole-second mtime, so that utimes restores it exactly and size/mtime cannot tell.
  await utimes(path, 1_700_000_000, 1_700_000_000);
  const digest = await digestFile(path, CHUNK);
  assert.deepEqual(
    digest.chunkCrcs,
    Array.from({ length: 6 }, (_, i) => crc32c(content.subarray(i * CHUNK, (i + 1) * CHUNK)) >>> 0),
    'the first read records each chunk\'s CRC-32C',
  );
  const changed = Buffer.from(content);
  changed[3 * CHUNK + 7] = changed[3 * CHUNK + 7]! ^ 0xff; // inside chunk 4
  await writeFile(path, changed);
  await utimes(path, 1_700_000_000, 1_700_000_000);
  const now = await snapshotFile(path);
  assert.deepEqual({ size: now.size, mtime: now.mtime }, { size: digest.size, mtime: digest.mtime }, 'size and mtime are as the digest saw them');

  const yielded: number[] = [];
  const err = await rejectsWithCode(
    (async () => {
      for await (const { chunk } of readChunkRecords(path, digest, IDENTITY)) yielded.push(chunk.chunkI);
    })(),
    'ERR_FILE_CHANGED',
    path,
  );
  assert.deepEqual(yielded, [1, 2, 3], 'chunks before the change were still good');
  assert.match(err.message, /chunk 4/);
});

for (const legacy of [false, true]) {
  test(`record values of the second read are what encodeChunk writes, and their chunk_hash is SHA-512 of the data sent (${legacy ? '9' : '10'} fields)`, async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x.dat');
    const content = randomBytes(3 * CHUNK + 17);
    await writeFile(path, content);
    const digest = await digestFile(path, CHUNK);
    const offsets: number[] = [];
    for await (const { chunk, value } of readChunkRecords(path, digest, IDENTITY, { legacy })) {
      assert.deepEqual(value, encodeChunk(chunk, { legacy }));
      const back = decodeChunk(value, { verifyHash: true });
      assert.deepEqual(back.data, content.subarray(chunk.chunkOffsetWrite, chunk.chunkOffsetWrite + CHUNK));
      assert.deepEqual(back.chunkHash, sha512(back.data));
      assert.deepEqual(back.fileHash, sha512(content));
      assert.equal(back.fileMtime, legacy ? null : digest.mtime);
      offsets.push(back.chunkOffsetWrite);
    }
    assert.deepEqual(offsets, [0, CHUNK, 2 * CHUNK, 3 * CHUNK]);
  });
}

test('a file truncated between digest and read is ERR_FILE_CHANGED', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'x.dat');
  await writeFile(path, randomBytes(3 * CHUNK));
  const digest = await digestFile(path, CHUNK);
  await truncate(path, 2 * CHUNK + 10);
  await rejectsWithCode(collectWith(path, digest), 'ERR_FILE_CHANGED', path);
});

test('a file that grew between digest and read: the chunk pass sends what was digested, the snapshot shows the growth', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'x.dat');
  await writeFile(path, '');
  const digest = await digestFile(path, CHUNK);
  await appendFile(path, 'late bytes');
  // The chunk pass reads what the digest promised (nothing); its chunks are still consistent
  // with that digest. The size/mtime check after sending (upload-file) catches the growth.
  const chunks = await collectWith(path, digest);
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0]!.data.length, 0);
  assert.notDeepEqual(await snapshotFile(path), { size: digest.size, mtime: digest.mtime });
});

test('a file that vanished is ERR_FILE_VANISHED, in either pass', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'gone.dat');
  await rejectsWithCode(digestFile(path, CHUNK), 'ERR_FILE_VANISHED', path);
  await rejectsWithCode(snapshotFile(path), 'ERR_FILE_VANISHED', path);

  await writeFile(path, randomBytes(2 * CHUNK));
  const digest = await digestFile(path, CHUNK);
  await unlink(path);
  await rejectsWithCode(collectWith(path, digest), 'ERR_FILE_VANISHED', path);
});

test('a path that is not a regular file is ERR_FILE_UNREADABLE', async (t) => {
  const dir = await tempDir(t);
  const sub = join(dir, 'a-directory');
  await mkdir(sub);
  await rejectsWithCode(digestFile(sub, CHUNK), 'ERR_FILE_UNREADABLE', sub);
});

test('a file replaced by a directory between digest and read is ERR_FILE_UNREADABLE', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'x.dat');
  await writeFile(path, randomBytes(CHUNK + 1));
  const digest = await digestFile(path, CHUNK);
  await unlink(path);
  await mkdir(path);
  // open() of a directory succeeds on Linux; the read fails with EISDIR.
  await rejectsWithCode(collectWith(path, digest), 'ERR_FILE_UNREADABLE', path);
});

test('a regular file whose read fails with an I/O error is ERR_FILE_UNREADABLE', async (t) => {
  // Root reads a chmod 000 file anyway, so the permission case is only real for other users; a
  // read that fails for everyone is /proc/self/mem at offset 0 (unmapped: EIO), which stat
  // reports as a regular file. Both are exercised where they can be.
  const dir = await tempDir(t);
  if (process.getuid?.() !== 0) {
    const locked = join(dir, 'locked.dat');
    await writeFile(locked, 'secret');
    await chmod(locked, 0o000);
    await rejectsWithCode(digestFile(locked, CHUNK), 'ERR_FILE_UNREADABLE', locked);
  }
  if (existsSync('/proc/self/mem')) {
    await rejectsWithCode(digestFile('/proc/self/mem', CHUNK), 'ERR_FILE_UNREADABLE', '/proc/self/mem');
  } else if (process.getuid?.() === 0) {
    t.skip('running as root without /proc: no way to make a regular file unreadable here');
  }
});

async function collectWith(path: string, digest: Awaited<ReturnType<typeof digestFile>>): Promise<DataFileChunk[]> {
  const chunks: DataFileChunk[] = [];
  for await (const chunk of readChunks(path, digest, IDENTITY)) chunks.push(chunk);
  return chunks;
}
