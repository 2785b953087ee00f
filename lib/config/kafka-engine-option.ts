/**
 * kafka-engine-option: which Kafka client library runs the toolkit's producers, consumers and
 * admins. Pure: names, one check, and the precedence rule; nothing is loaded here.
 *
 * In: the `--kafka_engine` flag, the config's `[client] engine`, and the environment variable
 * DATAFILE_STREAM_KAFKA_ENGINE (so a whole test suite can be run on one engine). Out: the engine
 * asked for, flag > config > environment > default (kafkajs). Whether that engine can run (the
 * librdkafka one is an optional native build) is lib/kafka's question, not this module's.
 *
 * Errors: an unknown name is ConfigError ERR_INVALID_ARGUMENT naming where it was written.
 */
import { ConfigError } from '../errors.js';

export const KAFKA_ENGINES = ['kafkajs', 'librdkafka'] as const;
export type KafkaEngine = (typeof KAFKA_ENGINES)[number];

/** kafkajs stays the default until the benchmark shows the other faster on this workload. */
export const DEFAULT_KAFKA_ENGINE: KafkaEngine = 'kafkajs';
export const KAFKA_ENGINE_ENV = 'DATAFILE_STREAM_KAFKA_ENGINE';
export const CLIENT_SECTION = 'client';

/** Checks one written engine name (any case); `where` names the flag, config key or variable. */
export function kafkaEngineName(value: unknown, where: string): KafkaEngine {
  const name = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (typeof name === 'string' && (KAFKA_ENGINES as readonly string[]).includes(name)) return name as KafkaEngine;
  throw new ConfigError('ERR_INVALID_ARGUMENT', `${where} must be one of ${KAFKA_ENGINES.join(', ')}, got ${JSON.stringify(value)}`, { option: where });
}

export interface KafkaEngineSources {
  flag?: string | undefined;
  config?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** The engine asked for: flag > config > environment > default. Empty values count as unset. */
export function chooseKafkaEngine(sources: KafkaEngineSources): KafkaEngine {
  const given = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';
  if (given(sources.flag)) return kafkaEngineName(sources.flag, '--kafka_engine');
  if (given(sources.config)) return kafkaEngineName(sources.config, `${CLIENT_SECTION}.engine`);
  const fromEnv = (sources.env ?? process.env)[KAFKA_ENGINE_ENV];
  if (given(fromEnv)) return kafkaEngineName(fromEnv, KAFKA_ENGINE_ENV);
  return DEFAULT_KAFKA_ENGINE;
}
