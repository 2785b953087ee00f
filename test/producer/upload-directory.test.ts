/**
 * DirectoryUploader without Kafka: a real ChunkProducer over a kafkajs Producer stand-in whose
 * acknowledgements the test holds back. A file whose chunks are all queued must give its reading
 * slot to the next file, so small files share produce requests instead of each waiting for its
 * own acknowledgement; a file counts as uploaded only once it is acknowledged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { type Producer, type ProducerRecord } from 'kafkajs';
import { decodeChunk } from '../../lib/codec/chunk-codec.js';
import { ChunkProducer } from '../../lib/producer/chunk-producer.js';
import { DirectoryUploader } from '../../lib/producer/upload-directory.js';
import { silent } from '../consumer/stage-fixtures.js';
import { memoryLedger } from './upload-fixtures.js';

test('files whose chunks are queued free their slot before the broker acknowledges them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'upload-dir-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'sub'));
  const names = Array.from({ length: 12 }, (_, i) => `sub/f${String(i).padStart(2, '0')}.dat`);
  for (const [i, name] of names.entries()) await writeFile(join(dir, name), Buffer.alloc(3000 + i, i));

  const requests: string[][] = [];
  let acknowledge!: () => void;
  const held = new Promise<void>((resolve) => (acknowledge = resolve));
  const producer = {
    send: async (record: ProducerRecord) => {
      requests.push(record.messages.map((m) => decodeChunk(m.value as Buffer).filename));
      await held;
      return [];
    },
  } as unknown as Producer;
  const chunks = new ChunkProducer(producer, { topic: 't', compression: kafkajs.CompressionTypes.None, batchBytes: 1 << 20, lingerMs: 5 });
  const { ledger, uploaded } = memoryLedger();
  const uploader = new DirectoryUploader({ root: dir, producer: chunks, registry: ledger, logger: silent, chunkSize: 4096, nThreads: 2, uploadExisting: true, pollInterval: 20 });
  const stop = new AbortController();
  const running = uploader.run(stop.signal, () => uploader.idle(0.2));

  // With nothing acknowledged, every file is still read and sent: two slots, twelve files.
  const deadline = Date.now() + 10_000;
  while (requests.flat().length < names.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(requests.flat().length, names.length, `sent before any acknowledgement: ${requests.flat().length} of ${names.length}`);
  assert.ok(requests.length < names.length, `files share produce requests (${requests.length} requests)`);
  assert.deepEqual(uploaded, [], 'nothing is uploaded before the broker acknowledged it');
  assert.equal(uploader.stats.inProgress, names.length);
  assert.equal(uploader.idle(0), false);

  acknowledge();
  await running;
  assert.deepEqual([...uploaded].sort(), names);
  assert.equal(uploader.stats.filesUploaded, names.length);
  assert.equal(uploader.stats.inProgress, 0);
});
