/**
 * Turns an OpenMSIStream config file into a kafkajs client plus the role's options: the one place
 * where config warnings (unknown keys, keys for the other role) are logged, and where a config
 * that asks for KafkaCrypto encryption is refused (ERR_ENCRYPTION_UNSUPPORTED) unless
 * `options.allowPlaintext` says to send and read plaintext on purpose. Nothing connects here.
 * The engine: `options.engine` (the --kafka_engine flag) > the config's `[client] engine` >
 * $DATAFILE_STREAM_KAFKA_ENGINE > kafkajs.
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { checkKafkaCrypto, type PlaintextOptions } from '../config/check-kafka-crypto.js';
import { loadConfig, readConfigFile, type ConfigFile } from '../config/config-file.js';
import { chooseKafkaEngine } from '../config/kafka-engine-option.js';
import { clientSectionOptions, consumerOptions, kafkaClientOptions, producerOptions, type ConsumerOptions, type KafkaRole, type ProducerOptions } from '../config/kafka-options.js';
import { createKafka } from './kafka-client.js';
import type { CompressionName } from './compression.js';

export interface KafkaSetup {
  config: ConfigFile;
  kafka: Kafka;
  producer: ProducerOptions;
  consumer: ConsumerOptions;
}

export interface KafkaFromConfigOptions extends PlaintextOptions {
  /** The --kafka_engine flag as given (checked here); wins over the config and the environment. */
  engine?: string | undefined;
  /**
   * The codec this client's producers use instead of `[producer] compression.type` (a telemetry
   * producer's section has its own; librdkafka fixes the codec per producer).
   */
  compression?: CompressionName;
}

export function kafkaFromConfig(nameOrPath: string, role: KafkaRole, logger: Logger, options: KafkaFromConfigOptions = {}): KafkaSetup {
  // Encryption is decided before `$VAR`s are expanded: a user who set up an encrypted config
  // hears first that it cannot be used as such, not about an unset variable in it.
  const unexpanded = loadConfig(nameOrPath, process.env, { expand: [] });
  checkKafkaCrypto(unexpanded, options);
  const config = readConfigFile(unexpanded.path, process.env, { expand: ['broker', role] });
  const client = kafkaClientOptions(config.sections, role);
  const producer = producerOptions(config.sections);
  const consumer = consumerOptions(config.sections);
  const clientSection = clientSectionOptions(config.sections);
  const engine = chooseKafkaEngine({ flag: options.engine, config: clientSection.engine });
  const roleWarnings = role === 'producer' ? producer.warnings : consumer.warnings;
  for (const warning of [...client.warnings, ...clientSection.warnings, ...roleWarnings]) logger.warn({ config: config.path }, `config: ${warning}`);
  const kafka = createKafka({
    brokers: client.brokers,
    ...(client.clientId !== undefined && { clientId: client.clientId }),
    ssl: client.ssl,
    ...(client.sasl !== undefined && { sasl: client.sasl }),
    ...(client.connectionTimeout !== undefined && { connectionTimeout: client.connectionTimeout }),
    ...(producer.retries !== undefined && role === 'producer' && { retry: { retries: producer.retries } }),
    logger,
    engine,
    compression: options.compression ?? producer.compression,
    ...(producer.acks !== undefined && { acks: producer.acks }),
    ...(producer.maxMessageBytes !== undefined && { maxMessageBytes: producer.maxMessageBytes }),
  });
  return { config, kafka, producer, consumer };
}
