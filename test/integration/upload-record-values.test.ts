/**
 * Integration: the uploader's second read against the real broker (127.0.0.1:9092), read back
 * with a raw kafkajs consumer that checks every chunk's SHA-512 (readTopic decodes with
 * verifyHash).
 * - Record values are read into again (record-pool.ts) only once the broker acknowledged them:
 *   with a small in-flight budget they are reused many times, and every record still carries
 *   its own bytes, on both engines.
 * - A file rewritten between the two reads with its size and mtime put back is caught by the
 *   CRC-32C check and sent again; no record carries a chunk_hash that is not its data's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { utimesSync, writeFileSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import kafkajs, { type Producer, type ProducerRecord } from 'kafkajs';
import { ensureTopic } from '../../lib/kafka/ensure-topic.js';
import type { KafkaEngine } from '../../lib/config/kafka-engine-option.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { ChunkProducer } from '../../lib/producer/chunk-producer.js';
import { FilePartitioner } from '../../lib/producer/file-partitioner.js';
import { uploadFile } from '../../lib/producer/upload-file.js';
import { BROKER, readTopic, rebuildFiles, uniqueTopic } from './upload-support.js';
import { tempDir } from '../support/temp-dir.js';

const { CompressionTypes } = kafkajs;
const CHUNK = 64 * 1024;
const sha512 = (data: Uint8Array): Buffer => createHash('sha512').update(data).digest();

async function connectedProducer(t: { after: (fn: () => Promise<void>) => void }, topic: string, engine: KafkaEngine = 'kafkajs'): Promise<Producer> {
  const kafka = createKafka({ brokers: [BROKER], engine });
  await ensureTopic(kafka, topic);
  const producer = kafka.producer({ createPartitioner: FilePartitioner });
  await producer.connect();
  t.after(() => producer.disconnect());
  return producer;
}

// On both engines: each copies a value before sending it, at a different moment (kafkajs when the
// batch is encoded, librdkafka when produce() is called). Without the native build the second
// runs on kafkajs (createKafka falls back), which is still a valid run of the same check.
for (const engine of ['kafkajs', 'librdkafka'] as const) {
  test(`uploadFile against the broker (${engine}): record values are reused only after their batch was acknowledged, and every record holds its own bytes`, async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'reused.bin');
    const data = randomBytes(40 * CHUNK + 99);
    await writeFile(path, data);
    const topic = uniqueTopic(t, 't-record-values');
    const producer = await connectedProducer(t, topic, engine);
    // Which buffers the client was given: the same memory sent twice means a value was reused.
    const buffers = new Set<ArrayBufferLike>();
    const watched = Object.create(producer) as Producer;
    watched.send = (record: ProducerRecord) => {
      for (const m of record.messages) buffers.add((m.value as Buffer).buffer);
      return producer.send(record);
    };
    // Two chunks a batch, four in flight: the upload waits for acknowledgements all along.
    const chunks = new ChunkProducer(watched, { topic, compression: CompressionTypes.LZ4, maxBytesInFlight: 4 * (CHUNK + 1024), batchBytes: 2 * CHUNK, lingerMs: 5 });
    const result = await uploadFile(chunks, path, { chunkSize: CHUNK });
    await chunks.flush();
    assert.equal(result.nChunks, 41);
    assert.ok(buffers.size < 20, `values were read into again (${buffers.size} buffers for 41 records)`);

    const { records } = await readTopic(topic);
    assert.equal(records.length, 41);
    for (const r of records) assert.deepEqual(r.chunk.chunkHash, sha512(r.chunk.data));
    assert.ok(rebuildFiles(records).get('reused.bin')!.equals(data));
  });
}

test('uploadFile against the broker: a file rewritten between the two reads with size and mtime put back is sent again; every chunk_hash is its data\'s', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'restored.bin');
  const first = randomBytes(6 * CHUNK);
  const second = Buffer.from(first);
  second[3 * CHUNK + 5] = second[3 * CHUNK + 5]! ^ 0xff; // inside chunk 4
  await writeFile(path, first);
  // A whole-second mtime, so that utimes restores it exactly and size/mtime cannot tell.
  await utimes(path, 1_700_000_000, 1_700_000_000);
  const topic = uniqueTopic(t, 't-record-values');
  const chunks = new ChunkProducer(await connectedProducer(t, topic), { topic, compression: CompressionTypes.LZ4 });
  let rewrites = 0;
  const result = await uploadFile(chunks, path, {
    chunkSize: CHUNK,
    // Called between the digest and the second read.
    alreadySent: () => {
      if (rewrites++ === 0) {
        writeFileSync(path, second);
        utimesSync(path, 1_700_000_000, 1_700_000_000);
      }
      return new Set();
    },
  });
  await chunks.flush();
  assert.equal(result.generations, 2);
  assert.deepEqual(result.fileHash, sha512(second));

  const { records } = await readTopic(topic);
  for (const r of records) assert.deepEqual(r.chunk.chunkHash, sha512(r.chunk.data));
  const firstGen = records.filter((r) => r.chunk.fileHash.equals(sha512(first)));
  assert.deepEqual(
    firstGen.map((r) => r.chunk.chunkI).sort((a, b) => a - b),
    [1, 2, 3],
    'the first generation stopped at the changed chunk',
  );
  const lastGen = records.filter((r) => r.chunk.fileHash.equals(sha512(second)));
  assert.equal(firstGen.length + lastGen.length, records.length);
  assert.ok(rebuildFiles(lastGen).get('restored.bin')!.equals(second));
});
