/**
 * The arguments every program that talks to Kafka takes (config, topic, engine, the plaintext opt-in),
 * and the topic rule: the flag's, or OpenMSIStream's default, said at start-up.
 */
import type { Logger } from 'pino';
import { DEFAULT_KAFKA_ENGINE, KAFKA_ENGINE_ENV, kafkaEngineName } from '../config/kafka-engine-option.js';
import { topicName } from '../config/option-values.js';
import type { ArgumentDef, ParsedArguments } from './runnable.js';

/** OpenMSIStream's default topic, used when --topic_name is not given (and said so at start-up). */
export const DEFAULT_TOPIC = 'test';

export const KAFKA_ARGUMENTS: ArgumentDef[] = [
  { name: 'config', type: 'string', default: 'local', help: 'config file path, or a name looked up in $OPENMSISTREAM_CONFIG_FILE_DIR and the bundled configs' },
  { name: 'topic_name', type: 'string', check: topicName, help: `Kafka topic [default: ${DEFAULT_TOPIC}, as OpenMSIStream's]` },
  { name: 'kafka_engine', type: 'string', check: (v, name) => kafkaEngineName(v, `--${name}`), help: `Kafka client library: librdkafka or kafkajs [default: the config's [client] engine, else $${KAFKA_ENGINE_ENV}, else ${DEFAULT_KAFKA_ENGINE}]` },
  { name: 'allow_plaintext', type: 'boolean', default: false, help: 'run with a config that asks for KafkaCrypto encryption ([kafkacrypto]), sending and reading plaintext on purpose' },
];

/** The topic to use: the flag's, or OpenMSIStream's default, which is logged so that it is never a surprise. */
export function topicOf(args: ParsedArguments, logger: Logger): string {
  if (args.topic_name !== undefined && args.topic_name !== '') return topicName(args.topic_name, 'topic_name');
  logger.info(`no --topic_name given: using topic "${DEFAULT_TOPIC}" (OpenMSIStream's default)`);
  return DEFAULT_TOPIC;
}
