/**
 * Checks, before any file is read, that the topic exists, so a missing topic is one clear error
 * naming it (ERR_TOPIC_MISSING) instead of a retry storm per file. A broker that creates topics
 * automatically (`auto.create.topics.enable`) gets the topic created here with its defaults,
 * as it would on first produce.
 */
import kafkajs, { type Kafka } from 'kafkajs';
import { DataFileStreamError } from '../errors.js';
import { createTopic } from './create-topic.js';
import { kafkajsInnermostMessage } from './kafkajs-error-chain.js';
import { kafkaUnreachable, refusedByEveryBroker } from './kafka-unreachable.js';

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

/**
 * The consumer's start-up check: Kafka answers and the topic exists. A consumer never creates
 * its topic, so a missing one is ERR_TOPIC_MISSING at once, not a subscribe that retries for
 * half a minute. An unreachable broker at start-up is a wrong address or a broker not started,
 * not an outage to wait out: when no bootstrap server accepts a TCP connection within
 * `probeTimeoutMs`, it fails at once (kafkajs's connect retries for about 10 s first).
 */
export async function requireTopic(kafka: Kafka, topic: string, brokers: string[], probeTimeoutMs = 3000): Promise<void> {
  const refused = await refusedByEveryBroker(brokers, probeTimeoutMs);
  if (refused !== undefined) throw kafkaUnreachable('consume from', topic, brokers, refused);
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 1000 } });
  let topics: string[];
  try {
    await admin.connect();
    topics = await admin.listTopics();
  } catch (err) {
    throw kafkaUnreachable('consume from', topic, brokers, kafkajsInnermostMessage(err), err);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (!topics.includes(topic)) {
    const where = brokers.join(',');
    throw new DataFileStreamError(
      'ERR_TOPIC_MISSING',
      `topic "${topic}" does not exist on Kafka at ${where}; uploading to it creates it (datafile-stream upload-directory DIR --topic_name ${topic}), or create it with kafka-topics.sh --create --topic ${topic} --bootstrap-server ${where}`,
      { topic, brokers: where },
    );
  }
}
