/**
 * Creates a topic and waits until every partition has a leader.
 *
 * kafkajs's own `waitForLeaders` retries only while the broker answers LEADER_NOT_AVAILABLE; a
 * KRaft broker may answer UNKNOWN_TOPIC_OR_PARTITION ("This server does not host this
 * topic-partition") for a moment after it created the topic, and kafkajs then fails the whole
 * call. Here both answers mean "not yet", until `timeoutMs`. Nor is a leader in the metadata
 * enough: the broker may still answer a produce with NOT_LEADER_OR_FOLLOWER (kafkajs:
 * NOT_LEADER_FOR_PARTITION) for a moment, and kafkajs then sends the whole batch again,
 * duplicating what the other partitions had accepted. So the topic is ready once every
 * partition has a leader and answers a ListOffsets request.
 *
 * In: a connected admin client, the topic's settings. Out: true when this call created the topic,
 * false when it existed already. Errors: the broker's refusal as kafkajs reports it;
 * ERR_KAFKA when the partitions still have no leader at the deadline.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataFileStreamError } from '../errors.js';
import { kafkajsErrorTypes } from './kafkajs-error-chain.js';

const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

export async function createTopic(admin: Admin, config: ITopicConfig, timeoutMs = 60_000): Promise<boolean> {
  const created = await admin.createTopics({ topics: [config], waitForLeaders: false });
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    if (await isServed(admin, config)) return created;
    if (Date.now() > deadline) {
      throw new DataFileStreamError('ERR_KAFKA', `topic "${config.topic}": partitions still without a leader after ${timeoutMs} ms`, { topic: config.topic });
    }
    await sleep(wait);
  }
}

async function isServed(admin: Admin, config: ITopicConfig): Promise<boolean> {
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [config.topic] });
    const partitions = topics[0]?.partitions ?? [];
    const expected = Math.max(1, config.numPartitions ?? 1);
    if (partitions.length < expected || !partitions.every((p) => p.leader >= 0)) return false;
    await admin.fetchTopicOffsets(config.topic);
    return true;
  } catch (err) {
    if (NOT_YET.has(kafkajsErrorTypes(err)[0] ?? '')) return false;
    throw err;
  }
}
