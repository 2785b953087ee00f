// createTopic: "not yet" answers from a broker that just created the topic are waited out, other
// errors are not; against the real broker, a produce to every partition right after it returns
// is accepted at once (no retried batch, so no duplicated records).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';
import { createTopic } from '../../lib/kafka/create-topic.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { uniqueName, withAdmin } from '../integration/consumer-support.js';

const { KafkaJSProtocolError } = kafkajs;

function protocolError(type: string): Error {
  return new KafkaJSProtocolError(Object.assign(new Error(`scripted ${type}`), { type, code: 0, retriable: false }));
}

/**
 * An admin whose answers are scripted. Metadata: an error type to throw, or leaders per
 * partition. ListOffsets: an error type to throw, or 'ok'.
 */
function scriptedAdmin(answers: Array<string | number[]>, offsetAnswers: string[] = []): { admin: Admin; calls: string[] } {
  const calls: string[] = [];
  const admin = {
    createTopics: async ({ topics }: { topics: ITopicConfig[] }) => {
      calls.push(`create:${topics[0]!.topic}`);
      return true;
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      calls.push('metadata');
      const answer = answers.shift() ?? [];
      if (typeof answer === 'string') throw protocolError(answer);
      return { topics: [{ name: topics[0]!, partitions: answer.map((leader, partitionId) => ({ partitionId, leader, replicas: [], isr: [], offlineReplicas: [], partitionErrorCode: 0 })) }] };
    },
    fetchTopicOffsets: async () => {
      calls.push('offsets');
      const answer = offsetAnswers.shift() ?? 'ok';
      if (answer !== 'ok') throw protocolError(answer);
      return [];
    },
  };
  return { admin: admin as unknown as Admin, calls };
}

test('"not yet" answers are waited out: it returns once every partition has a leader and answers ListOffsets', async () => {
  const { admin, calls } = scriptedAdmin(
    ['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', [1, -1, 1], [1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1]],
    ['NOT_LEADER_FOR_PARTITION', 'UNKNOWN_TOPIC_OR_PARTITION'],
  );
  assert.equal(await createTopic(admin, { topic: 't', numPartitions: 3 }), true);
  assert.deepEqual(calls, ['create:t', 'metadata', 'metadata', 'metadata', 'metadata', 'metadata', 'offsets', 'metadata', 'offsets', 'metadata', 'offsets']);
});

test('other errors are thrown at once; partitions without a leader at the deadline are ERR_KAFKA', async () => {
  const refused = scriptedAdmin(['TOPIC_AUTHORIZATION_FAILED']);
  await assert.rejects(createTopic(refused.admin, { topic: 't' }), { type: 'TOPIC_AUTHORIZATION_FAILED' });
  assert.equal(refused.calls.length, 2);
  const wrapped = scriptedAdmin([[1]], ['OFFSET_NOT_AVAILABLE']);
  await assert.rejects(createTopic(wrapped.admin, { topic: 't' }), { type: 'OFFSET_NOT_AVAILABLE' });
  const stuck = scriptedAdmin(Array.from({ length: 100 }, () => [-1]));
  await assert.rejects(createTopic(stuck.admin, { topic: 't' }, 200), { code: 'ERR_KAFKA', message: /still without a leader after 200 ms/ });
});

test('against the broker: every partition takes a produce at once (kafkajs would resend the whole batch otherwise); a second call says it existed', async () => {
  const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: 'create-topic-test' });
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  const topics: string[] = [];
  await withAdmin(async (admin) => {
    try {
      for (let round = 0; round < 8; round++) {
        const topic = uniqueName(`create-${round}`);
        topics.push(topic);
        assert.equal(await createTopic(admin, { topic, numPartitions: 3 }), true);
        // No retries: a partition not yet served fails the send instead of being papered over.
        await producer.send({ topic, acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: Buffer.from(`r${round}`) })) });
        const ends = await admin.fetchTopicOffsets(topic);
        assert.deepEqual(ends.map((e) => e.high).sort(), ['1', '1', '1'], `round ${round}: one record per partition`);
      }
      assert.equal(await createTopic(admin, { topic: topics[0]!, numPartitions: 3 }), false);
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics }).catch(() => undefined);
    }
  });
});
