/**
 * Integration: kafkajs 2.2.4 against the pinned Apache Kafka, on the shared broker at
 * 127.0.0.1:9092 (started here when it is not up, left running for the other tests).
 *
 * Covers what the toolkit relies on: admin createTopics / fetchTopicOffsets / fetchOffsets,
 * producing with LZ4 (OpenMSIStream's setting), Snappy and GZIP, a consumer group with manual
 * commits, and decoding batches that Kafka's own Java code compressed (topics whose
 * `compression.type` makes the broker recompress what it is sent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { startBroker } from '../../lib/broker/local-kafka.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { compressionFromName, registerCodecs } from '../../lib/kafka/compression.js';
import { createTopic } from '../../lib/kafka/create-topic.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;
const BROKER = '127.0.0.1:9092';

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** Counts calls into a registered codec, so a test can prove its batches went through it. */
function countCodec(type: number): { compress: number; decompress: number } {
  registerCodecs();
  const table = CompressionCodecs as Record<number, () => Codec>;
  const inner = table[type]!();
  const counts = { compress: 0, decompress: 0 };
  table[type] = () => ({
    compress: (encoder) => {
      counts.compress += 1;
      return inner.compress(encoder);
    },
    decompress: (buffer) => {
      counts.decompress += 1;
      return inner.decompress(buffer);
    },
  });
  return counts;
}

function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;
}

/** Values that are compressible yet distinct, some larger than one 64 KiB LZ4 block. */
function makeValues(count: number): Map<string, Buffer> {
  const values = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const size = i % 5 === 0 ? 200_000 + i : 100 + i * 37;
    const seed = createHash('sha512').update(String(i)).digest('hex');
    values.set(`key-${i}`, Buffer.from(seed.repeat(Math.ceil(size / seed.length)).slice(0, size)));
  }
  return values;
}

async function consumeAll(kafka: Kafka, topic: string, groupId: string, expected: number): Promise<Map<string, Buffer>> {
  const consumer = kafka.consumer({ groupId, maxBytes: 16 * 1024 * 1024 });
  const got = new Map<string, Buffer>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${got.size} of ${expected} within 60 s`)), 60_000);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            got.set(message.key!.toString(), message.value!);
            await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            if (got.size === expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

async function committedMatchesEnd(admin: Admin, groupId: string, topic: string): Promise<void> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  assert.equal(committed!.topic, topic);
  const byPartition = new Map(committed!.partitions.map((p) => [p.partition, p.offset]));
  for (const end of ends) assert.equal(byPartition.get(end.partition), end.high, `partition ${end.partition} committed up to its end (committed ${JSON.stringify(committed!.partitions)}, ends ${JSON.stringify(ends)})`);
}

test('kafkajs against the pinned Kafka: LZ4 produce, group consume, commit, fetchOffsets', { timeout: 180_000 }, async (t) => {
  await startBroker();
  const lz4 = countCodec(CompressionTypes.LZ4);
  const kafka = createKafka({ brokers: [BROKER], clientId: 'kafkajs-compat-test' });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const topic = uniqueName('compat-lz4');
  t.after(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  assert.equal(await createTopic(admin, { topic, numPartitions: 3 }), true);
  const values = makeValues(40);
  const entries = [...values];
  for (let i = 0; i < entries.length; i += 10) {
    const messages = entries.slice(i, i + 10).map(([key, value]) => ({ key, value }));
    await producer.send({ topic, compression: CompressionTypes.LZ4, acks: -1, messages });
  }
  assert.ok(lz4.compress >= 4, 'batches went through the LZ4 codec');

  const ends = await admin.fetchTopicOffsets(topic);
  assert.equal(ends.length, 3);
  assert.equal(
    ends.reduce((sum, p) => sum + Number(p.high), 0),
    values.size,
  );

  const groupId = uniqueName('compat-group');
  const got = await consumeAll(kafka, topic, groupId, values.size);
  assert.ok(lz4.decompress >= 1, 'fetched batches went through the LZ4 codec');
  assert.equal(got.size, values.size);
  for (const [key, value] of values) assert.ok(got.get(key)?.equals(value), `value of ${key} round-trips`);
  await committedMatchesEnd(admin, groupId, topic);
});

test('batches the broker itself compresses (Java LZ4, Java xerial Snappy, GZIP) decode', { timeout: 180_000 }, async (t) => {
  await startBroker();
  const kafka = createKafka({ brokers: [BROKER], clientId: 'kafkajs-compat-test' });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const topics: string[] = [];
  t.after(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  for (const [name, type] of [
    ['lz4', CompressionTypes.LZ4],
    ['snappy', CompressionTypes.Snappy],
    ['gzip', CompressionTypes.GZIP],
  ] as const) {
    const topic = uniqueName(`compat-broker-${name}`);
    topics.push(topic);
    // compression.type on the topic makes the broker recompress whatever it is sent, with
    // Kafka's own Java codecs; the producer sends uncompressed batches.
    await createTopic(admin, { topic, numPartitions: 2, configEntries: [{ name: 'compression.type', value: name }] });
    const values = makeValues(12);
    await producer.send({ topic, compression: CompressionTypes.None, acks: -1, messages: [...values].map(([key, value]) => ({ key, value })) });
    const counts = type === CompressionTypes.GZIP ? undefined : countCodec(type);
    const groupId = uniqueName(`compat-group-${name}`);
    const got = await consumeAll(kafka, topic, groupId, values.size);
    if (counts) assert.ok(counts.decompress >= 1, `${name}: fetched batches went through our codec`);
    assert.equal(got.size, values.size, name);
    for (const [key, value] of values) assert.ok(got.get(key)?.equals(value), `${name}: value of ${key} round-trips`);
    await committedMatchesEnd(admin, groupId, topic);
  }
});

test('the broker accepts Snappy and GZIP batches kafkajs writes (it validates them by decompressing)', { timeout: 120_000 }, async (t) => {
  await startBroker();
  const kafka = createKafka({ brokers: [BROKER], clientId: 'kafkajs-compat-test' });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const topic = uniqueName('compat-mixed');
  t.after(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });
  await createTopic(admin, { topic, numPartitions: 1 });
  const values = makeValues(9);
  const entries = [...values];
  const types = [CompressionTypes.Snappy, CompressionTypes.GZIP, CompressionTypes.LZ4];
  for (let i = 0; i < types.length; i++) {
    await producer.send({ topic, compression: types[i], acks: -1, messages: entries.slice(i * 3, i * 3 + 3).map(([key, value]) => ({ key, value })) });
  }
  const got = await consumeAll(kafka, topic, uniqueName('compat-group-mixed'), values.size);
  for (const [key, value] of values) assert.ok(got.get(key)?.equals(value), `value of ${key} round-trips`);
});

test(`zstd where Node's zlib has it (this is Node ${process.version}): the broker takes our batches and we read its own`, { timeout: 180_000 }, async (t) => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const nodeHasZstd = major > 22 || (major === 22 && minor >= 15);
  assert.equal(registerCodecs().has('zstd'), nodeHasZstd, 'zstd is registered exactly where node:zlib has it');
  if (!nodeHasZstd) {
    // Node 20: no codec, and the config name says why (checked in test/kafka/compression.test.ts too).
    assert.throws(() => compressionFromName('zstd'), /needs Node >= 22\.15/);
    return;
  }
  await startBroker();
  const kafka = createKafka({ brokers: [BROKER], clientId: 'kafkajs-compat-test' });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const ours = uniqueName('compat-zstd-ours');
  const broker = uniqueName('compat-zstd-broker');
  t.after(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [ours, broker] }).catch(() => undefined);
    await admin.disconnect();
  });
  const counts = countCodec(CompressionTypes.ZSTD);
  // Our zstd batches: the broker validates each by decompressing it, then we read them back.
  await createTopic(admin, { topic: ours, numPartitions: 1 });
  const values = makeValues(9);
  await producer.send({ topic: ours, compression: compressionFromName('zstd'), acks: -1, messages: [...values].map(([key, value]) => ({ key, value })) });
  assert.ok(counts.compress >= 1, 'the batch went through our zstd codec');
  const got = await consumeAll(kafka, ours, uniqueName('compat-group-zstd-ours'), values.size);
  for (const [key, value] of values) assert.ok(got.get(key)?.equals(value), `value of ${key} round-trips`);
  // The broker's own zstd (Java's zstd-jni), from a topic that recompresses what it is sent.
  await createTopic(admin, { topic: broker, numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'zstd' }] });
  await producer.send({ topic: broker, compression: CompressionTypes.None, acks: -1, messages: [...values].map(([key, value]) => ({ key, value })) });
  const before = counts.decompress;
  const fromBroker = await consumeAll(kafka, broker, uniqueName('compat-group-zstd-broker'), values.size);
  assert.ok(counts.decompress > before, 'fetched batches went through our zstd codec');
  for (const [key, value] of values) assert.ok(fromBroker.get(key)?.equals(value), `broker-compressed value of ${key} round-trips`);
});
