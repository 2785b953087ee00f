/**
 * Integration: what the uploader hands to kafkajs at once, against the real broker
 * (127.0.0.1:9092). kafkajs encodes a batch into a request it keeps until the broker answers
 * (about twice the batch again), memory the byte budget does not count; the ChunkProducer hands
 * over at most `maxRequestsInFlight` batches (default 2) and keeps the rest as values. A slow
 * broker (each produce call starts 20 ms late) used to let every batch the budget allowed reach
 * the client at once: with a 1 GiB upload that was a dozen encoded requests, RSS 190 -> 320 MiB.
 * Checked by counting, not by timing: the produce calls outstanding and the bytes they carry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Producer, type ProducerRecord } from 'kafkajs';
import { ensureTopic } from '../../lib/kafka/ensure-topic.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { ChunkProducer } from '../../lib/producer/chunk-producer.js';
import { CHUNK_PRODUCER_DEFAULTS } from '../../lib/producer/chunk-producer-options.js';
import { FilePartitioner } from '../../lib/producer/file-partitioner.js';
import { uploadFile } from '../../lib/producer/upload-file.js';
import { BROKER, readTopic, rebuildFiles, uniqueTopic } from './upload-support.js';
import { tempDir } from '../support/temp-dir.js';

const { CompressionTypes } = kafkajs;
const CHUNK = 64 * 1024;
/** A record value's fields around its data, generously: names here are short. */
const HEADER_ROOM = 1024;

test('uploadFile against a slow broker: at most maxRequestsInFlight batches are handed to kafkajs at once, and the bytes it holds stay bounded', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'bounded.bin');
  const data = randomBytes(48 * CHUNK + 7);
  await writeFile(path, data);
  const topic = uniqueTopic(t, 't-memory-bound');
  const kafka = createKafka({ brokers: [BROKER] });
  await ensureTopic(kafka, topic);
  const producer = kafka.producer({ createPartitioner: FilePartitioner });
  await producer.connect();
  t.after(() => producer.disconnect());

  let calls = 0;
  let maxCalls = 0;
  let heldBytes = 0;
  let maxHeldBytes = 0;
  const slow = Object.create(producer) as Producer;
  slow.send = async (record: ProducerRecord) => {
    const bytes = record.messages.reduce((sum, m) => sum + (m.value as Buffer).length, 0);
    calls++;
    heldBytes += bytes;
    maxCalls = Math.max(maxCalls, calls);
    maxHeldBytes = Math.max(maxHeldBytes, heldBytes);
    try {
      await sleep(20);
      return await producer.send(record);
    } finally {
      calls--;
      heldBytes -= bytes;
    }
  };
  // A budget of 24 chunks and two-chunk batches: room for a dozen batches, only two may go out.
  const budget = 24 * (CHUNK + HEADER_ROOM);
  const batchBytes = 2 * CHUNK;
  const chunks = new ChunkProducer(slow, { topic, compression: CompressionTypes.LZ4, maxBytesInFlight: budget, batchBytes, lingerMs: 5 });
  let maxBudgetUsed = 0;
  const result = await uploadFile(chunks, path, { chunkSize: CHUNK, onChunk: () => (maxBudgetUsed = Math.max(maxBudgetUsed, chunks.bytesInFlight)) });
  await chunks.flush();

  const allowed = 2; // the default (checked last)
  assert.equal(maxCalls, allowed, `produce calls outstanding at once: ${maxCalls}`);
  // A batch closes at the value that reaches batchBytes: at most batchBytes + one value.
  assert.ok(maxHeldBytes <= allowed * (batchBytes + CHUNK + 2 * HEADER_ROOM), `bytes handed to kafkajs at once: ${maxHeldBytes}`);
  assert.ok(maxBudgetUsed > allowed * batchBytes, `the budget let values wait behind the requests (${maxBudgetUsed} bytes)`);
  assert.ok(maxBudgetUsed <= budget);
  assert.equal(chunks.requestsInFlight, 0);
  assert.equal(CHUNK_PRODUCER_DEFAULTS.maxRequestsInFlight, allowed);

  assert.equal(result.nChunks, 49);
  const { records } = await readTopic(topic);
  assert.equal(records.length, 49);
  assert.ok(rebuildFiles(records).get('bounded.bin')!.equals(data));
});
