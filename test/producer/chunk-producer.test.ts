/**
 * ChunkProducer without Kafka: a fake kafkajs Producer whose `send` the test settles by hand, so
 * batching, acknowledgement, the byte budget (backpressure) and error mapping are checked by
 * event order, never by time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import kafkajs, { type Producer, type ProducerRecord } from 'kafkajs';
import { errorCodeOf } from '../../lib/errors.js';
import { ChunkProducer } from '../../lib/producer/chunk-producer.js';

const { CompressionTypes } = kafkajs;

interface Call {
  record: ProducerRecord;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function fakeProducer(): { producer: Producer; calls: Call[] } {
  const calls: Call[] = [];
  const producer = {
    send: (record: ProducerRecord) =>
      new Promise((resolve, reject) => {
        calls.push({ record, resolve: () => resolve([]), reject });
      }),
  } as unknown as Producer;
  return { producer, calls };
}

/** Whether a promise settled after the microtask and immediate queues drained. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await tick();
  return done;
}

const value = (n: number, fill = 1): Buffer => Buffer.alloc(n, fill);

test('records are grouped into batches of about batchBytes; flush sends the rest and waits for acks', async () => {
  const { producer, calls } = fakeProducer();
  const chunks = new ChunkProducer(producer, { topic: 'topic-a', compression: CompressionTypes.LZ4, batchBytes: 250, lingerMs: 60_000, acks: 1 });
  const acked: Array<Promise<void>> = [];
  for (let i = 0; i < 5; i++) acked.push((await chunks.send(`k${i}`, value(100, i))).acked);
  // 3 x 100 bytes reached 250: one request with three records; two records wait for company.
  assert.equal(calls.length, 1);
  assert.deepEqual(
    calls[0]!.record.messages.map((m) => m.key),
    ['k0', 'k1', 'k2'],
  );
  assert.equal(calls[0]!.record.topic, 'topic-a');
  assert.equal(calls[0]!.record.compression, CompressionTypes.LZ4);
  assert.equal(calls[0]!.record.acks, 1);
  assert.equal(chunks.bytesInFlight, 500);
  assert.equal(await settled(acked[0]!), false, 'not acknowledged before the broker answers');

  const flushed = chunks.flush();
  assert.equal(calls.length, 2, 'flush sends the partial batch at once');
  assert.deepEqual(
    calls[1]!.record.messages.map((m) => m.key),
    ['k3', 'k4'],
  );
  calls[1]!.resolve();
  assert.equal(await settled(acked[3]!), true);
  assert.equal(await settled(flushed), false, 'flush still waits for the first request');
  calls[0]!.resolve();
  await flushed;
  await Promise.all(acked);
  assert.equal(chunks.bytesInFlight, 0);
});

test('a partial batch leaves after lingerMs without a flush', async () => {
  const { producer, calls } = fakeProducer();
  const chunks = new ChunkProducer(producer, { topic: 't', compression: CompressionTypes.None, batchBytes: 1_000_000, lingerMs: 1 });
  const { acked } = await chunks.send('k', value(10));
  while (calls.length === 0) await new Promise((r) => setTimeout(r, 5));
  calls[0]!.resolve();
  await acked;
});

test('send waits while the byte budget is full and continues when a batch is acknowledged (backpressure)', async () => {
  const { producer, calls } = fakeProducer();
  const chunks = new ChunkProducer(producer, { topic: 't', compression: CompressionTypes.None, maxBytesInFlight: 300, batchBytes: 100, lingerMs: 60_000, maxRequestsInFlight: 3 });
  await chunks.send('a', value(100));
  await chunks.send('b', value(100));
  await chunks.send('c', value(100));
  assert.equal(calls.length, 3);
  const fourth = chunks.send('d', value(100));
  assert.equal(await settled(fourth), false, 'the fourth record waits: 300 bytes are already in flight');
  assert.equal(calls.length, 3);
  calls[1]!.resolve();
  assert.equal(await settled(fourth), true, 'one acknowledged batch makes room');
  assert.equal(calls.length, 4);
  for (const call of [calls[0]!, calls[2]!, calls[3]!]) call.resolve();
  await chunks.flush();
  assert.equal(chunks.bytesInFlight, 0);
});

test('at most maxRequestsInFlight batches reach the client; the next one goes when one is answered, in order; flush waits for all', async () => {
  const { producer, calls } = fakeProducer();
  const chunks = new ChunkProducer(producer, { topic: 't', compression: CompressionTypes.None, maxBytesInFlight: 1000, batchBytes: 100, lingerMs: 60_000, maxRequestsInFlight: 2 });
  const acks = [];
  for (const key of ['a', 'b', 'c', 'd']) acks.push((await chunks.send(key, value(100))).acked);
  assert.equal(calls.length, 2, 'two batches handed over; two wait as values');
  assert.equal(chunks.requestsInFlight, 2);
  assert.equal(chunks.bytesInFlight, 400, 'waiting batches still count against the budget');
  calls[1]!.resolve();
  assert.equal(await settled(acks[1]!), true);
  assert.equal(calls.length, 3);
  assert.equal(calls[2]!.record.messages[0]!.key, 'c', 'batches leave in the order they were made');
  const flushed = chunks.flush();
  assert.equal(await settled(flushed), false);
  calls[0]!.resolve();
  calls[2]!.resolve();
  assert.equal(await settled(flushed), false, 'the last waiting batch was only just handed over');
  assert.equal(calls.length, 4);
  calls[3]!.resolve();
  await flushed;
  assert.equal(chunks.bytesInFlight, 0);
  assert.equal(chunks.requestsInFlight, 0);
});

test('a record larger than the whole budget is let through alone rather than deadlocking', async () => {
  const { producer, calls } = fakeProducer();
  const chunks = new ChunkProducer(producer, { topic: 't', compression: CompressionTypes.None, maxBytesInFlight: 50, batchBytes: 10, lingerMs: 60_000 });
  const first = await chunks.send('big', value(200));
  const second = chunks.send('next', value(10));
  assert.equal(await settled(second), false);
  calls[0]!.resolve();
  await first.acked;
  (await second).acked.catch(() => undefined);
  assert.equal(calls.length, 2);
  calls[1]!.resolve();
  await chunks.flush();
});

test('a missing topic is ERR_TOPIC_MISSING, any other failure ERR_PRODUCE_FAILED; the budget is released', async () => {
  const { producer, calls } = fakeProducer();
  const chunks = new ChunkProducer(producer, { topic: 'nope', compression: CompressionTypes.None, batchBytes: 10, lingerMs: 60_000 });
  const a = await chunks.send('a', value(10));
  const b = await chunks.send('b', value(10));
  calls[0]!.reject(Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }));
  calls[1]!.reject(new Error('connection refused'));
  await assert.rejects(a.acked, (err: Error) => errorCodeOf(err) === 'ERR_TOPIC_MISSING' && err.message.includes('"nope"'));
  await assert.rejects(b.acked, (err: Error) => errorCodeOf(err) === 'ERR_PRODUCE_FAILED' && err.message.includes('connection refused'));
  await chunks.flush();
  assert.equal(chunks.bytesInFlight, 0);
});
