/**
 * Checks, before any file is read, that the topic exists, so a missing topic is one clear error
 * naming it (ERR_TOPIC_MISSING) instead of a retry storm per file. A broker that creates topics
 * automatically (`auto.create.topics.enable`) gets the topic created here with its defaults,
 * as it would on first produce.
 */
import kafkajs, { type Kafka } from 'kafkajs';
import { DataFileStreamError } from '../errors.js';
import { createTopic } from './create-topic.js';

const { ConfigResourceTypes } = kafkajs;

export async function ensureTopic(kafka: Kafka, topic: string): Promise<{ partitions: number; created: boolean }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let created = false;
    if (!(await admin.listTopics()).includes(topic)) {
      if (!(await brokerCreatesTopics(admin))) {
        throw new DataFileStreamError('ERR_TOPIC_MISSING', `topic "${topic}" does not exist and the broker does not create topics automatically; create it first`, { topic });
      }
      created = await createTopic(admin, { topic });
    }
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    return { partitions: metadata.topics[0]?.partitions.length ?? 0, created };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function brokerCreatesTopics(admin: ReturnType<Kafka['admin']>): Promise<boolean> {
  const cluster = await admin.describeCluster();
  const brokerId = String(cluster.controller ?? cluster.brokers[0]?.nodeId ?? 1);
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.BROKER, name: brokerId, configNames: ['auto.create.topics.enable'] }],
  });
  const entry = described.resources[0]?.configEntries.find((e) => e.configName === 'auto.create.topics.enable');
  return entry?.configValue === 'true';
}
