/**
 * uploadFile without Kafka: a real ChunkProducer over a fake kafkajs Producer that records what it
 * is sent and acknowledges at once. Checks the records, and the generations a file that changes
 * while it is sent produces (the change is made from the `onChunk` hook, so it happens at a
 * known chunk, not at a lucky moment).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs, { type Producer, type ProducerRecord } from 'kafkajs';
import { chunkKey, decodeChunk } from '../../lib/codec/chunk-codec.js';
import { errorCodeOf } from '../../lib/errors.js';
import { ChunkProducer } from '../../lib/producer/chunk-producer.js';
import { uploadFile } from '../../lib/producer/upload-file.js';
import type { DataFileChunk } from '../../lib/types.js';
import { tempDir } from '../support/temp-dir.js';

const { CompressionTypes } = kafkajs;
const CHUNK = 1024;

interface Sent {
  key: string;
  chunk: DataFileChunk;
  raw: Buffer;
}

function recordingProducer(): { chunks: ChunkProducer; sent: Sent[] } {
  const sent: Sent[] = [];
  const producer = {
    send: async (record: ProducerRecord) => {
      // Copied as a broker would: uploadFile reuses a record's buffer once it was acknowledged.
      for (const m of record.messages) {
        const raw = Buffer.from(m.value as Buffer);
        sent.push({ key: String(m.key), chunk: decodeChunk(raw), raw });
      }
      return [];
    },
  } as unknown as Producer;
  return { chunks: new ChunkProducer(producer, { topic: 't', compression: CompressionTypes.None, batchBytes: 3000, lingerMs: 1 }), sent };
}

const sha512 = (data: Uint8Array): Buffer => createHash('sha512').update(data).digest();

function rebuild(chunks: DataFileChunk[]): Buffer {
  const n = chunks[0]!.nTotalChunks;
  assert.equal(new Set(chunks.map((c) => c.chunkI)).size, n, 'every chunk index once');
  return Buffer.concat([...chunks].sort((a, b) => a.chunkOffsetWrite - b.chunkOffsetWrite).map((c) => c.data));
}

test('every chunk is produced once, with OpenMSIStream keys, and rebuilds the file', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'data.tar.gz');
  const content = randomBytes(7 * CHUNK + 3);
  await writeFile(path, content);
  const { chunks, sent } = recordingProducer();
  let counted = 0;
  const result = await uploadFile(chunks, path, { chunkSize: CHUNK, subdirStr: 'run/7', filenameAppend: '_v2', onChunk: (b) => (counted += b) });
  assert.equal(result.nChunks, 8);
  assert.equal(result.generations, 1);
  assert.equal(result.size, content.length);
  assert.deepEqual(result.fileHash, sha512(content));
  assert.equal(counted, content.length);
  assert.equal(sent.length, 8);
  for (const { key, chunk } of sent) {
    assert.equal(key, chunkKey(chunk));
    assert.equal(chunk.filename, 'data.tar.gz');
    assert.equal(chunk.subdirStr, 'run/7');
    assert.equal(chunk.filenameAppend, '_v2');
    assert.ok(key.startsWith('run_7_data.tar.gz_chunk_'));
  }
  assert.deepEqual(rebuild(sent.map((s) => s.chunk)), content);
});

test('an empty file is one empty chunk; legacy writes 9 fields', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'empty');
  await writeFile(path, '');
  const { chunks, sent } = recordingProducer();
  const result = await uploadFile(chunks, path, { chunkSize: CHUNK, legacy: true });
  assert.equal(result.nChunks, 1);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.key, '_empty_chunk_1_of_1');
  assert.equal(sent[0]!.chunk.data.length, 0);
  assert.equal(sent[0]!.raw[0], 0x99, 'fixarray of 9');
  assert.equal(sent[0]!.chunk.fileMtime, null, 'a 9-field value carries no mtime');
});

test('a file rewritten while it is being sent is sent again; the last generation carries the final hash', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'moving.bin');
  const first = randomBytes(6 * CHUNK);
  const final = randomBytes(9 * CHUNK + 100);
  await writeFile(path, first);
  const { chunks, sent } = recordingProducer();
  let calls = 0;
  const result = await uploadFile(chunks, path, {
    chunkSize: CHUNK,
    onChunk: () => {
      calls += 1;
      if (calls === 2) writeFileSync(path, final); // after chunk 2 of the first generation
    },
  });
  assert.equal(result.generations, 2);
  assert.deepEqual(result.fileHash, sha512(final));
  assert.equal(result.nChunks, 10);
  const firstGen = sent.filter((s) => s.chunk.fileHash.equals(sha512(first)));
  const lastGen = sent.filter((s) => s.chunk.fileHash.equals(sha512(final)));
  assert.deepEqual(
    firstGen.map((s) => s.chunk.chunkI),
    [1, 2],
    'the first generation stopped at the first chunk that no longer matched',
  );
  assert.equal(firstGen.length + lastGen.length, sent.length);
  assert.equal(lastGen.length, 10);
  assert.deepEqual(rebuild(lastGen.map((s) => s.chunk)), final);
  assert.ok(sent.indexOf(lastGen[0]!) > sent.indexOf(firstGen[1]!), 'the new generation follows the old one');
});

test('a file that grew after its last chunk was read is caught by size/mtime and sent again', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'growing.log.dat');
  const start = randomBytes(3 * CHUNK);
  await writeFile(path, start);
  const { chunks, sent } = recordingProducer();
  let calls = 0;
  let appended = false;
  const result = await uploadFile(chunks, path, {
    chunkSize: CHUNK,
    onChunk: () => {
      calls += 1;
      if (calls === 3 && !appended) {
        appended = true;
        writeFileSync(path, Buffer.concat([start, Buffer.from('tail')]));
      }
    },
  });
  const final = Buffer.concat([start, Buffer.from('tail')]);
  assert.equal(result.generations, 2);
  assert.deepEqual(result.fileHash, sha512(final));
  assert.equal(sent.length, 3 + 4, 'three chunks of the old content, then four of the new');
  assert.deepEqual(rebuild(sent.slice(3).map((s) => s.chunk)), final);
});

test('a file that keeps changing is given up with ERR_FILE_CHANGED after maxGenerations', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'restless.bin');
  await writeFile(path, randomBytes(4 * CHUNK));
  const { chunks } = recordingProducer();
  let n = 0;
  await assert.rejects(
    uploadFile(chunks, path, {
      chunkSize: CHUNK,
      maxGenerations: 3,
      onChunk: () => {
        n += 1;
        writeFileSync(path, randomBytes(4 * CHUNK)); // a new content after every chunk
      },
    }),
    (err: Error) => errorCodeOf(err) === 'ERR_FILE_CHANGED' && err.message.includes(path) && /3 attempts/.test(err.message),
  );
  assert.equal(n, 3, 'one chunk per generation went out before the change was seen');
});

test('a vanished file is ERR_FILE_VANISHED at once, not retried as a change', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'short-lived.bin');
  await writeFile(path, randomBytes(3 * CHUNK));
  const { chunks, sent } = recordingProducer();
  let removed = false;
  await assert.rejects(
    uploadFile(chunks, path, {
      chunkSize: CHUNK,
      onChunk: () => {
        if (!removed) unlinkSync(path);
        removed = true;
      },
    }),
    // On Linux the open handle still reads the unlinked file; the snapshot after it does not.
    (err: Error) => errorCodeOf(err) === 'ERR_FILE_VANISHED' && err.message.includes(path),
  );
  assert.equal(sent.length, 3, 'no second generation for a file that is gone');
  await assert.rejects(uploadFile(chunks, join(dir, 'never-there'), { chunkSize: CHUNK }), (err: Error) => errorCodeOf(err) === 'ERR_FILE_VANISHED');
});

test('a stop ends the reading at the next chunk: what was queued is acknowledged and reported, then ERR_ABORTED', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'big.bin');
  await writeFile(path, randomBytes(20 * CHUNK));
  const { chunks, sent } = recordingProducer();
  const stop = new AbortController();
  const acked: number[] = [];
  let queued = 0;
  const upload = uploadFile(chunks, path, {
    chunkSize: CHUNK,
    signal: stop.signal,
    onChunk: () => {
      if (++queued === 3) stop.abort();
    },
    onAcked: (i) => void acked.push(i),
  });
  await assert.rejects(upload, (err) => errorCodeOf(err) === 'ERR_ABORTED');
  assert.deepEqual(acked.sort((a, b) => a - b), [1, 2, 3], 'the queued chunks were answered before the upload gave up');
  await chunks.flush();
  assert.equal(sent.length, 3, 'no chunk after the stop');
});
