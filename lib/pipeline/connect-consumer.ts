/**
 * The start-up half of the composer: checks, then a connected kafkajs consumer and admin.
 *
 * Each check fails at once with one coded error, before anything is built: the output directory
 * can be written (prepareOutputDir) and holds no symlink where the program writes its own
 * directories, Kafka answers and the topic exists (requireTopic), the connections open
 * (ERR_KAFKA_UNREACHABLE), the config's TLS and SASL settings are accepted (ERR_KAFKA_TLS,
 * ERR_KAFKA_AUTH, kafka-security-check.ts). On a failure nothing stays connected.
 */
import { lstat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { isCodedError, UnsafePathError } from '../errors.js';
import { kafkaClientOptions, type ConsumerOptions } from '../config/kafka-options.js';
import { requireTopic } from '../kafka/ensure-topic.js';
import { kafkaReachable } from '../kafka/kafka-client.js';
import { kafkaFromConfig } from '../kafka/kafka-from-config.js';
import { kafkaUnreachable } from '../kafka/kafka-unreachable.js';
import { checkKafkaSecurity, type SecurityCheckClient } from '../kafka/kafka-security-check.js';
import { kafkajsInnermostMessage } from '../kafka/kafkajs-error-chain.js';
import { STAGING_DIR_NAME } from '../paths/staging-names.js';
import { consumerFetchOptions } from './consumer-fetch-options.js';
import { CREATE_NEW, type ConsumerPipelineOptions } from './consumer-pipeline-options.js';
import { prepareOutputDir } from './output-dir.js';

export interface ConnectedConsumer {
  kafka: Kafka;
  consumer: Consumer;
  admin: Admin;
  /** The group in use (a fresh one for `create_new`). */
  groupId: string;
  /** False for a fresh group: nothing to resume, so no journal and no retention watch. */
  durableGroup: boolean;
  fromBeginning: boolean;
}

/** The program's own directories inside the output directory. */
export const RESERVED_TOP_LEVEL = ['LOGS', STAGING_DIR_NAME];

export async function connectConsumer(options: ConsumerPipelineOptions): Promise<ConnectedConsumer> {
  const { logger, topic } = options;
  const { kafka, brokers, settings, security } = clientOf(options);
  // As in OpenMSIStream: the group given, else the config's group.id, else a fresh one.
  const asked = options.groupId ?? settings.groupId ?? CREATE_NEW;
  const groupId = freshGroupIfAsked(asked, logger);
  prepareOutputDir(options.outputDir);
  await refuseSymlinks(options.outputDir, RESERVED_TOP_LEVEL);
  if (security !== undefined) await checkKafkaSecurity(security, 'consume from', topic);
  await requireTopic(kafka, topic, brokers);
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, ...consumerFetchOptions(settings) });
  const admin = kafka.admin();
  try {
    await consumer.connect();
    await admin.connect();
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    throw isCodedError(err) ? err : kafkaUnreachable('consume from', topic, brokers, `it stopped answering while connecting: ${kafkajsInnermostMessage(err)}`, err);
  }
  // Fetches and joins say Kafka answers again, which ends an outage the kafkajs log reported.
  consumer.on(consumer.events.FETCH, () => kafkaReachable(kafka));
  consumer.on(consumer.events.GROUP_JOIN, () => kafkaReachable(kafka));
  kafkaReachable(kafka);
  return { kafka, consumer, admin, groupId, durableGroup: groupId === asked, fromBeginning: settings.fromBeginning ?? true };
}

function freshGroupIfAsked(asked: string, logger: Logger): string {
  if (asked !== CREATE_NEW && asked !== '') return asked;
  const groupId = `datafile-stream-${randomUUID()}`;
  logger.warn({ groupId }, 'consumer group "create_new": a fresh group was made, so restart recovery is off; pass --consumer_group_id NAME to resume after a restart');
  return groupId;
}

/** The client, and from a config its connection settings, which the start-up security check tries once (a given client is the caller's to check). */
function clientOf(options: ConsumerPipelineOptions): { kafka: Kafka; brokers: string[]; settings: Partial<ConsumerOptions>; security?: SecurityCheckClient } {
  if (options.kafka !== undefined) return { kafka: options.kafka, brokers: options.brokers ?? [], settings: options.consumerOptions ?? {} };
  const setup = kafkaFromConfig(options.config, 'consumer', options.logger, { allowPlaintext: options.allowPlaintext === true, engine: options.kafkaEngine });
  const client = kafkaClientOptions(setup.config.sections, 'consumer');
  return { kafka: setup.kafka, brokers: client.brokers, settings: setup.consumer, security: client };
}

/** The program's own directories must be real directories inside the output directory. */
async function refuseSymlinks(outputDir: string, names: string[]): Promise<void> {
  for (const name of names) {
    const info = await lstat(join(outputDir, name)).catch(() => undefined);
    if (info?.isSymbolicLink()) {
      throw new UnsafePathError('ERR_UNSAFE_PATH', `${join(outputDir, name)} is a symlink; refusing to write through it`, { path: join(outputDir, name) });
    }
  }
}
