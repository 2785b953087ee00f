// KafkaSource against the real broker: records come out in order, verified, with the source
// holding no more than its limit while the reader is slow, and `stop()` ends it cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KafkaSource } from '../../lib/source/kafka-source.js';
import { OffsetTracker } from '../../lib/offsets/offset-tracker.js';
import type { SourceItem } from '../../lib/consumer/pipeline-events.js';
import { bytes, chunksOf, createTopic, kafka, recordOf, silent, uniqueName } from './consumer-support.js';

/** 240 records over 3 partitions: small ones, then a few big ones (the average record size moves). */
async function fill(topic: string): Promise<Map<number, number>> {
  const perPartition = new Map<number, number>();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let p = 0; p < 3; p++) {
      const small = Array.from({ length: 76 }, (_, i) => chunksOf(`p${p}/small-${i}.txt`, bytes(500 + i, i + p * 100), 4096)).flat();
      const big = chunksOf(`p${p}/big.bin`, bytes(4 * 65_536, p), 65_536);
      const records = [...small, ...big].map((c) => recordOf(c));
      await producer.send({ topic, messages: records.map((r) => ({ key: r.key, value: r.value, partition: p })) });
      perPartition.set(p, records.length);
    }
  } finally {
    await producer.disconnect();
  }
  return perPartition;
}

test('a slow reader gets every record in order while the source holds at most its limit; stop() ends the stream', async () => {
  const topic = uniqueName('source');
  await createTopic(topic, 3);
  const expected = await fill(topic);
  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  const consumer = kafka.consumer({ groupId: uniqueName('g-source'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  const limit = 8;
  const source = new KafkaSource({ consumer, topic, tracker: new OffsetTracker(), logger: silent, highWaterMark: limit, maxBufferedBytes: 65_536 });
  const last = new Map<number, bigint>();
  let received = 0;
  let mostAhead = 0;
  // Piped, as the consumer's stages are, into a reader slower than the fetches.
  const reader = new Writable({
    objectMode: true,
    highWaterMark: 2,
    write(item: SourceItem, _encoding, callback) {
      try {
        assert.equal(item.kind, 'chunk', 'every record is a valid, verified chunk');
        if (item.kind !== 'chunk') return callback();
        const { partition, offset } = item.record;
        const previous = last.get(partition);
        assert.ok(previous === undefined || BigInt(offset) === previous + 1n, `partition ${partition}: ${offset} after ${previous}`);
        last.set(partition, BigInt(offset));
        received++;
        // Taken from kafkajs but not yet written here: the queue (at most `limit`), the stream's
        // one and the reader's two.
        mostAhead = Math.max(mostAhead, source.recordsRead - received);
        if (received === total) void source.stop();
        if (received % 10 === 0) setTimeout(callback, 5);
        else callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  try {
    await pipeline(source, reader);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(received, total);
  for (const [p, n] of expected) assert.equal(last.get(p), BigInt(n - 1), `partition ${p} read to its end`);
  assert.ok(mostAhead <= limit + 4, `the source ran ${mostAhead} records ahead of its reader (limit ${limit})`);
  assert.ok(mostAhead >= 2, 'the source did read ahead of a slow reader');
});

test('one-chunk files of 256 KiB, 200 of them, all reach the disk (the source once stalled on records this size)', { timeout: 120_000 }, async () => {
  const { runConsumer } = await import('../../lib/consumer/run-consumer.js');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const topic = uniqueName('source-256k');
  await createTopic(topic, 3);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < 200; i += 20) {
      const records = Array.from({ length: 20 }, (_, k) => recordOf(chunksOf(`d/f-${i + k}.dat`, bytes(262_144, i + k), 524_288)[0]!));
      await producer.send({ topic, messages: records.map((r) => ({ key: r.key, value: r.value })) });
    }
  } finally {
    await producer.disconnect();
  }
  const out = await mkdtemp(join(tmpdir(), 'source-256k-'));
  try {
    const summary = await runConsumer({
      config: 'local', topic, groupId: uniqueName('g-256k'), outputDir: out, mode: 'disk', logger: silent, untilIdle: 3, commitIntervalMs: 200, interactive: false, progress: false,
    });
    assert.equal(summary.filesProcessed, 200);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
