/**
 * The librdkafka consumer's bounded prefetch keeps records coming. librdkafka stops fetching a
 * partition whose queue is over `queued.max.messages.kbytes` and, by default, looks again only a
 * second later (`fetch.queue.backoff.ms`). With the few MiB per partition the engine allows, a
 * reader of 512 KiB records emptied the queue in milliseconds and then waited out that second,
 * batch after batch: a 1 GiB rebuild took 146 s instead of 13. Here 40 such records on one
 * partition, read through the engine's consumer with the bundled config's fetch settings, must
 * arrive without a pause near that second between batches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { librdkafkaAvailable } from '../../lib/kafka/librdkafka-engine.js';
import { BROKER, uniqueTopic } from './upload-support.js';

const { CompressionTypes } = kafkajs;
const RECORDS = 40;
const RECORD_BYTES = 512 * 1024;

async function produce(topic: string): Promise<void> {
  const kafka = createKafka({ brokers: [BROKER], engine: 'kafkajs' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < RECORDS; i += 4) {
    const messages = Array.from({ length: 4 }, (_, j) => ({ key: `r${i + j}`, value: randomBytes(RECORD_BYTES) }));
    await producer.send({ topic, messages, compression: CompressionTypes.None });
  }
  await producer.disconnect();
}

/** Milliseconds between the arrivals of consecutive batches, over the whole topic. */
async function batchGaps(topic: string): Promise<number[]> {
  const consumer = createKafka({ brokers: [BROKER], engine: 'librdkafka' }).consumer({ groupId: `g-prefetch-${randomUUID()}`, minBytes: 100_000, maxWaitTimeInMs: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const arrivals: number[] = [];
    let read = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${read} of ${RECORDS} records in 60 s`)), 60_000);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            arrivals.push(performance.now());
            read += batch.messages.length;
            if (read < RECORDS) return;
            clearTimeout(timer);
            resolve();
          },
        })
        .catch(reject);
    });
    return arrivals.slice(1).map((at, i) => at - arrivals[i]!);
  } finally {
    await consumer.disconnect();
  }
}

test('librdkafka: 512 KiB records through the bounded prefetch arrive without second-long pauses', async (t) => {
  assert.equal(librdkafkaAvailable(), true, 'needs the optional @confluentinc/kafka-javascript build');
  const topic = uniqueTopic(t, 't-prefetch');
  await produce(topic);
  const gaps = await batchGaps(topic);
  assert.ok(gaps.length >= 2, `the 20 MiB came in ${gaps.length + 1} batches: the prefetch bound did not apply`);
  const longest = Math.max(...gaps);
  assert.ok(longest < 700, `a pause of ${Math.round(longest)} ms between batches (gaps: ${gaps.map(Math.round).join(', ')})`);
});
