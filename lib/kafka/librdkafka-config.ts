/**
 * librdkafka-config: the toolkit's kafkajs-shaped client options -> the configuration objects
 * `@confluentinc/kafka-javascript` takes (a `kafkaJS` block it translates itself, plus librdkafka
 * property names for what that block cannot say). Pure: builds objects, loads nothing.
 *
 * What its kafkaJS block cannot say, and is therefore written as librdkafka properties here:
 * - TLS details: the block takes `ssl: true` only. kafka-options.ts already read the PEM files,
 *   so they go in as `ssl.ca.pem`, `ssl.certificate.pem`, `ssl.key.pem`, `ssl.key.password`.
 * - The consumer's prefetch. librdkafka keeps up to `queued.max.messages.kbytes` (default 64 MiB)
 *   per assigned partition, fetched ahead of the application, and a fetch response may be
 *   `fetch.max.bytes` (default 50 MiB): with three partitions that is 100-200 MiB of RSS the
 *   pipeline never asked for. The pipeline buffers its own 8 MiB read-ahead (KafkaSource), so a
 *   few MiB per partition keep the fetcher busy without holding files' worth of records.
 * - `fetch.max.bytes` for kafkajs's `maxBytes` (the block maps it to the per-partition limit).
 */
import type { CompressionName, SslOptions } from '../config/kafka-options.js';
import type { ConsumerConfig, ProducerConfig, RetryOptions, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';

/**
 * Prefetch per assigned partition, KiB (librdkafka's default is 65536). Two 512 KiB chunks: a
 * 1 GiB rebuild on 3 partitions peaked at 200 MiB (median of 4 runs) with 4096 and 196 with 1024,
 * at the same speed.
 */
export const CONSUMER_QUEUE_KBYTES = 1024;
/** Bytes of one fetch response across partitions (librdkafka's default is 50 MiB). */
export const CONSUMER_FETCH_MAX_BYTES = 8 * 1024 * 1024;
/**
 * How long librdkafka waits before fetching again for a partition whose prefetch queue was over
 * `CONSUMER_QUEUE_KBYTES` (librdkafka's default is 1000). With a queue this small the pipeline
 * empties it in a few milliseconds, and then sat idle for the rest of the second: a 1 GiB rebuild
 * took 146 s instead of 13. A short backoff keeps the bound and costs a timer per partition.
 */
export const CONSUMER_QUEUE_BACKOFF_MS = 10;

export type RdConfig = Record<string, unknown>;

export interface LibrdkafkaClientInput {
  brokers: string[];
  clientId: string;
  ssl?: boolean | ConnectionOptions | SslOptions;
  sasl?: SASLOptions;
  connectionTimeout?: number;
  requestTimeout?: number;
  retry?: RetryOptions;
  /** kafkajs's scale (kafka-client.ts kafkajsLevel); translated here. */
  logLevel: number;
  logger?: unknown;
}

/** Only the retry fields librdkafka has an equivalent for; it refuses `factor`/`multiplier`. */
export function retryOf(retry: RetryOptions | undefined): Partial<RetryOptions> | undefined {
  if (!retry) return undefined;
  const { retries, initialRetryTime, maxRetryTime } = retry;
  return {
    ...(retries !== undefined && { retries }),
    ...(initialRetryTime !== undefined && { initialRetryTime }),
    ...(maxRetryTime !== undefined && { maxRetryTime }),
  };
}

/** The `ssl.*` librdkafka properties for a kafkajs/TLS ssl object. */
export function sslProperties(ssl: LibrdkafkaClientInput['ssl']): RdConfig {
  if (ssl === undefined || typeof ssl === 'boolean') return {};
  const out: RdConfig = {};
  const pem = (v: unknown): string | undefined => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined);
  const ca = ssl.ca === undefined ? [] : (Array.isArray(ssl.ca) ? ssl.ca : [ssl.ca]).map(pem).filter((v) => v !== undefined);
  if (ca.length > 0) out['ssl.ca.pem'] = ca.join('\n');
  const cert = pem(ssl.cert);
  if (cert !== undefined) out['ssl.certificate.pem'] = cert;
  const key = pem(ssl.key);
  if (key !== undefined) out['ssl.key.pem'] = key;
  if (typeof ssl.passphrase === 'string') out['ssl.key.password'] = ssl.passphrase;
  if (ssl.rejectUnauthorized === false) out['enable.ssl.certificate.verification'] = false;
  if (ssl.checkServerIdentity !== undefined) out['ssl.endpoint.identification.algorithm'] = 'none';
  return out;
}

/**
 * kafkajs's logLevel (NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5) -> the binding's, which
 * numbers INFO 3 and DEBUG 4 and refuses any other number.
 */
export function rdLogLevel(kafkajsLevel: number): number {
  if (kafkajsLevel >= 5) return 4;
  if (kafkajsLevel >= 4) return 3;
  return Math.max(0, kafkajsLevel);
}

/** The configuration every client of one `Kafka` shares. */
export function commonConfig(input: LibrdkafkaClientInput): RdConfig {
  const retry = retryOf(input.retry);
  return {
    kafkaJS: {
      brokers: input.brokers,
      clientId: input.clientId,
      ssl: input.ssl !== undefined && input.ssl !== false,
      ...(input.sasl !== undefined && { sasl: input.sasl }),
      ...(input.connectionTimeout !== undefined && { connectionTimeout: input.connectionTimeout }),
      ...(input.requestTimeout !== undefined && { requestTimeout: input.requestTimeout }),
      ...(retry !== undefined && { retry }),
      logLevel: rdLogLevel(input.logLevel),
      ...(input.logger !== undefined && { logger: input.logger }),
    },
    ...sslProperties(input.ssl),
  };
}

export interface ConsumerSettings {
  fromBeginning: boolean;
  autoCommit: boolean;
  autoCommitInterval?: number;
}

/** A consumer's configuration: kafkajs's consumer options, the run's commit mode, the bounded prefetch. */
export function consumerConfig(config: ConsumerConfig, settings: ConsumerSettings): RdConfig {
  return {
    kafkaJS: {
      groupId: config.groupId,
      fromBeginning: settings.fromBeginning,
      autoCommit: settings.autoCommit,
      ...(settings.autoCommitInterval !== undefined && { autoCommitInterval: settings.autoCommitInterval }),
      ...(config.sessionTimeout !== undefined && { sessionTimeout: config.sessionTimeout }),
      ...(config.heartbeatInterval !== undefined && { heartbeatInterval: config.heartbeatInterval }),
      ...(config.rebalanceTimeout !== undefined && { rebalanceTimeout: config.rebalanceTimeout }),
      ...(config.maxBytesPerPartition !== undefined && { maxBytesPerPartition: config.maxBytesPerPartition }),
      ...(config.minBytes !== undefined && { minBytes: config.minBytes }),
      ...(config.maxWaitTimeInMs !== undefined && { maxWaitTimeInMs: config.maxWaitTimeInMs }),
      ...(config.allowAutoTopicCreation !== undefined && { allowAutoTopicCreation: config.allowAutoTopicCreation }),
      ...(config.readUncommitted !== undefined && { readUncommitted: config.readUncommitted }),
    },
    'queued.max.messages.kbytes': CONSUMER_QUEUE_KBYTES,
    'fetch.queue.backoff.ms': CONSUMER_QUEUE_BACKOFF_MS,
    'fetch.max.bytes': Math.max(config.maxBytes ?? CONSUMER_FETCH_MAX_BYTES, config.maxBytesPerPartition ?? 0),
  };
}

/** kafkajs's CompressionTypes numbers -> librdkafka's codec names. */
export const CODEC_NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface ProducerSettings {
  compression: CompressionName;
  acks?: -1 | 0 | 1;
  maxMessageBytes?: number;
}

/**
 * A producer's configuration: codec and acks are per producer in librdkafka, not per send.
 * kafkajs's idempotent, maxInFlightRequests and transactionalId go through the block as
 * enable.idempotence, max.in.flight and transactional.id.
 */
export function producerConfig(config: ProducerConfig, settings: ProducerSettings): RdConfig {
  // The idempotent producer (and so the transactional one) needs acks=all; librdkafka refuses anything else with it.
  const acks = config.idempotent === true || config.transactionalId !== undefined ? -1 : settings.acks;
  return {
    kafkaJS: {
      compression: settings.compression,
      ...(acks !== undefined && { acks }),
      ...(config.idempotent !== undefined && { idempotent: config.idempotent }),
      // The block writes these as transactional.id and transaction.timeout.ms; its connect() then
      // runs librdkafka's init_transactions, which fences an older producer with the same id.
      ...(config.transactionalId !== undefined && { transactionalId: config.transactionalId }),
      ...(config.transactionTimeout !== undefined && { transactionTimeout: config.transactionTimeout }),
      ...(config.allowAutoTopicCreation !== undefined && { allowAutoTopicCreation: config.allowAutoTopicCreation }),
      ...(config.maxInFlightRequests !== undefined && { maxInFlightRequests: config.maxInFlightRequests }),
    },
    ...(settings.maxMessageBytes !== undefined && { 'message.max.bytes': settings.maxMessageBytes }),
  };
}
