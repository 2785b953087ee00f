/**
 * The librdkafka engine's admin answers as kafkajs's where the toolkit reads the answer:
 * fetchOffsets for a group lists every partition of the topic, '-1' where the group committed
 * nothing (the binding alone lists only committed partitions, and says -1001), and the calls its
 * API lacks or shapes differently (describeGroups, setOffsets) work through it. Real broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { createTopic } from '../../lib/kafka/create-topic.js';
import type { KafkaEngine } from '../../lib/config/kafka-engine-option.js';
import { BROKER, uniqueTopic } from './upload-support.js';

async function withAdmin<T>(engine: KafkaEngine, fn: (admin: ReturnType<ReturnType<typeof createKafka>['admin']>) => Promise<T>): Promise<T> {
  const admin = createKafka({ brokers: [BROKER], engine }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

test('fetchOffsets lists every partition, -1 where nothing is committed, the same on both engines', async (t) => {
  const topic = uniqueTopic(t, 't-engine-offsets');
  const group = `g-engine-offsets-${randomUUID()}`;
  await withAdmin('kafkajs', (admin) => createTopic(admin, { topic, numPartitions: 3 }));
  const answers = async (): Promise<Record<KafkaEngine, unknown>> => {
    const of = (engine: KafkaEngine) => withAdmin(engine, async (admin) => (await admin.fetchOffsets({ groupId: group, topics: [topic] })).map((e) => ({ topic: e.topic, partitions: e.partitions.map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition) })));
    return { kafkajs: await of('kafkajs'), librdkafka: await of('librdkafka') };
  };
  const fresh = await answers();
  assert.deepEqual(fresh.librdkafka, [{ topic, partitions: [0, 1, 2].map((partition) => ({ partition, offset: '-1' })) }]);
  assert.deepEqual(fresh.librdkafka, fresh.kafkajs);

  // setOffsets through the librdkafka admin; one partition committed, the others still listed.
  await withAdmin('librdkafka', (admin) => admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 1, offset: '0' }] }));
  const after = await answers();
  assert.deepEqual(after.librdkafka, [{ topic, partitions: [{ partition: 0, offset: '-1' }, { partition: 1, offset: '0' }, { partition: 2, offset: '-1' }] }]);
  assert.deepEqual(after.librdkafka, after.kafkajs);

  const { groups } = await withAdmin('librdkafka', (admin) => admin.describeGroups([group]));
  assert.equal(groups[0]?.groupId, group);
  assert.equal(groups[0]?.state, 'Empty', 'kafkajs\'s state names, not the binding\'s numbers');
});
