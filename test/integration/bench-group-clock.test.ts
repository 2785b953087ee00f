// The bench's neutral consumer clock against the real broker: it sees a group's committed
// offsets from outside (admin API), starts the steady-state clock at the first commit and stops
// only when every partition with records is committed to its end. The first test commits with
// admin.setOffsets, step by step; the second runs a real kafkajs consumer, whose join the clock
// sees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Producer } from 'kafkajs';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { createTopic } from '../../lib/kafka/create-topic.js';
import { GroupClock } from '../../bench/group-clock.js';

const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: 'bench-group-clock-test' });
let admin: Admin;
let producer: Producer;
const topic = `bench-clock-${randomBytes(4).toString('hex')}`;

before(async () => {
  admin = kafka.admin();
  producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  // Three partitions, records in two of them: the empty one must not hold the clock back.
  await createTopic(admin, { topic, numPartitions: 3 });
  await producer.send({ topic, messages: [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }, { partition: 2, value: 'c' }] });
});

after(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await producer.disconnect();
  await admin.disconnect();
});

test('the clock does not end before every partition with records is committed to its end', async () => {
  const groupId = `bench-clock-group-${randomBytes(4).toString('hex')}`;
  const clock = await GroupClock.start(admin, groupId, topic, 50);
  try {
    let ended = false;
    void clock.done.then(() => (ended = true));
    await sleep(300);
    assert.equal(clock.firstCommitAt, undefined, 'no commit yet');
    assert.equal(ended, false);

    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] });
    for (let i = 0; i < 40 && clock.firstCommitAt === undefined; i++) await sleep(50);
    assert.ok(clock.firstCommitAt !== undefined, 'the first commit is seen');
    await sleep(300);
    assert.equal(ended, false, 'partition 2 is not committed yet');

    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 2, offset: '1' }] });
    const doneAt = await Promise.race([clock.done, sleep(10_000).then(() => -1)]);
    assert.ok(doneAt > clock.firstCommitAt!, 'done after the first commit');
    assert.equal(clock.doneAt, doneAt);
    // setOffsets commits through a short-lived member of its own, which the clock may see join.
    assert.ok(clock.steadyFrom !== undefined && clock.steadyFrom <= clock.firstCommitAt!, 'steady state starts at the join or the first commit');
  } finally {
    clock.stop();
  }
});

test('a real consumer: the clock sees its group join, then its commits reach the end', async () => {
  const groupId = `bench-clock-consumer-${randomBytes(4).toString('hex')}`;
  const clock = await GroupClock.start(admin, groupId, topic, 50);
  const consumer = kafka.consumer({ groupId });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: true, eachMessage: async () => undefined });
    const doneAt = await Promise.race([clock.done, sleep(60_000).then(() => -1)]);
    assert.ok(doneAt > 0, 'the commits reached the end of the topic');
    assert.ok(clock.joinedAt !== undefined && clock.joinedAt <= doneAt, `joined at ${clock.joinedAt}, done at ${doneAt}`);
    assert.equal(clock.steadyFrom, Math.min(clock.joinedAt, clock.firstCommitAt!), 'steady state starts at the earlier of the join and the first commit');
  } finally {
    clock.stop();
    await consumer.disconnect();
  }
});
