/**
 * kafka-client: the one place a kafkajs `Kafka` is built, so every client of the toolkit gets the
 * same codecs (LZ4 for OpenMSIStream's topics, see compression.ts) and the same logging.
 *
 * In: connection options (the shape `kafkaClientOptions()` in lib/config/kafka-options.ts
 * returns; extra fields are ignored) and an optional pino logger. Out: a kafkajs `Kafka`; nothing
 * connects until the caller connects a producer, consumer or admin. The kafkajs speed patches are
 * applied here, where the toolkit builds a client, never on import (kafkajs-speed-patches.ts).
 *
 * Logging: kafkajs entries go to a `{ component: 'kafkajs' }` child logger. ERROR -> error,
 * WARN -> warn, INFO -> debug (kafkajs says "consumer has joined the group" at INFO, which is
 * chatter for a file pipeline), DEBUG -> trace. kafkajs's own level follows the pino level so it
 * does not build entries nobody will see. Without a logger kafkajs is silent.
 *
 * Engines: kafkajs (the default) or librdkafka (`engine`, else the DATAFILE_STREAM_KAFKA_ENGINE
 * variable; lib/config/kafka-engine-option.ts). librdkafka runs through the adapters in
 * librdkafka-engine.ts, which keep kafkajs's interfaces; where its optional native build is not
 * there, kafkajs runs and that is logged once. The kafkajs codecs and speed patches are applied
 * only when a kafkajs client is built: librdkafka has its own codecs.
 *
 * Retry noise goes to debug: kafkajs logs every failed connection attempt, retried request and
 * consumer restart at error level ("Crash: KafkaJSNumberOfRetriesExceeded" is followed by a
 * restart, not an exit), about 300 lines in a short outage. Instead a client that had reached
 * Kafka logs the outage once at warn ("Kafka unreachable, retrying") and, once its owner reports
 * Kafka answering again (`kafkaReachable`), the recovery at info. A failure kafkajs gives up on
 * reaches the caller of connect/send/run, which reports it at error with what to do; before a
 * client first reached Kafka, that caller's error is the only line.
 */
import type { ConnectionOptions } from 'node:tls';
import kafkajs, { type Kafka, type LogEntry, type RetryOptions, type SASLOptions, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';
import { chooseKafkaEngine, type KafkaEngine } from '../config/kafka-engine-option.js';
import type { CompressionName } from '../config/kafka-options.js';
import { registerCodecs } from './compression.js';
import { applyKafkajsSpeedPatches } from './kafkajs-speed-patches.js';
import { createLibrdkafkaKafka, librdkafkaLogger } from './librdkafka-engine.js';

const { Kafka: KafkaClass, logLevel: KafkaLogLevel } = kafkajs;

export interface CreateKafkaOptions {
  brokers: string[];
  clientId?: string;
  ssl?: boolean | ConnectionOptions;
  sasl?: SASLOptions;
  connectionTimeout?: number;
  requestTimeout?: number;
  retry?: RetryOptions;
  logger?: Logger;
  /**
   * Apply the kafkajs speed patches (kafkajs-speed-patches.ts: guarded by kafkajs's version and a
   * self-check) before building this client. Default true; false leaves kafkajs as installed.
   */
  kafkajsSpeedPatches?: boolean;
  /** The client library; default: $DATAFILE_STREAM_KAFKA_ENGINE, else kafkajs. */
  engine?: KafkaEngine;
  /**
   * librdkafka only, where codec and acks belong to the producer, not the send: the codec every
   * producer of this client compresses with (default lz4, the toolkit's), acks, message.max.bytes.
   */
  compression?: CompressionName;
  acks?: -1 | 0 | 1;
  maxMessageBytes?: number;
}

export const DEFAULT_CLIENT_ID = 'datafile-stream';

type PinoMethod = 'error' | 'warn' | 'debug' | 'trace';

function pinoMethod(level: number): PinoMethod {
  if (level <= KafkaLogLevel.ERROR) return 'error';
  if (level === KafkaLogLevel.WARN) return 'warn';
  if (level === KafkaLogLevel.INFO) return 'debug';
  return 'trace';
}

/** The lowest kafkajs level whose entries the logger would keep (the librdkafka binding uses the same scale). */
export function kafkajsLevel(logger: Logger | undefined): number {
  if (!logger) return KafkaLogLevel.NOTHING;
  if (logger.isLevelEnabled('trace')) return KafkaLogLevel.DEBUG;
  if (logger.isLevelEnabled('debug')) return KafkaLogLevel.INFO;
  if (logger.isLevelEnabled('warn')) return KafkaLogLevel.WARN;
  if (logger.isLevelEnabled('error')) return KafkaLogLevel.ERROR;
  return KafkaLogLevel.NOTHING;
}

/**
 * Answers a broker gives while a partition is being created or its leadership moves. kafkajs logs
 * each at error level although it retries them (and the toolkit's createTopic waits them out);
 * a request that fails for good is reported by whoever made it. They go to debug here.
 */
const TRANSIENT_ANSWERS = new Set([
  'This server is not the leader for that topic-partition',
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
]);

/** kafkajs layers whose errors are failed connections and requests that kafkajs retries. */
const NETWORK_NAMESPACES = new Set(['Connection', 'BrokerPool', 'RequestQueue']);

/** Pure: how to log one kafkajs entry. `outage` marks an entry that says Kafka cannot be reached. */
export function classifyKafkajsEntry(namespace: string, level: number, log: { message: string; [key: string]: unknown }): { method: PinoMethod; outage: boolean } {
  const method = pinoMethod(level);
  if (method !== 'error' && method !== 'warn') return { method, outage: false };
  if (namespace === 'Connection' && typeof log.error === 'string' && TRANSIENT_ANSWERS.has(log.error)) return { method: 'debug', outage: false };
  // A broker's answer to a request ("Response ...") is not an outage: an authorization or
  // protocol error must stay visible.
  const network = NETWORK_NAMESPACES.has(namespace) && !log.message.startsWith('Response ');
  const restart = log.message.startsWith('Crash: ') || log.message.startsWith('Restarting the consumer');
  if (network || restart) return { method: 'debug', outage: true };
  // Any other request kafkajs is about to retry: the caller hears if it fails for good.
  if (typeof log.retryCount === 'number') return { method: 'debug', outage: false };
  return { method, outage: false };
}

/** Whether a client reached Kafka, so that an outage is logged once and its end once. */
export class KafkaReachability {
  #state: 'unknown' | 'up' | 'down' = 'unknown';
  #downSince = 0;
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  get state(): 'unknown' | 'up' | 'down' {
    return this.#state;
  }

  lost(detail: Record<string, unknown>): void {
    if (this.#state !== 'up') return; // never reached yet: the caller's own error says it
    this.#state = 'down';
    this.#downSince = Date.now();
    this.#logger.warn(detail, 'Kafka unreachable, retrying');
  }

  reached(): void {
    if (this.#state === 'down') this.#logger.info({ downForMs: Date.now() - this.#downSince }, 'Kafka reachable again');
    this.#state = 'up';
  }
}

/** A kafkajs `logCreator` that writes into a child of `logger`. */
export function pinoLogCreator(logger: Logger, reachability?: KafkaReachability): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      // pino stamps its own time and name; kafkajs's copies would only collide with them.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      const { method, outage } = classifyKafkajsEntry(namespace, level, log);
      if (outage) reachability?.lost({ namespace, ...(typeof fields.broker === 'string' && { broker: fields.broker }), ...(fields.error !== undefined && { error: fields.error }), detail: message });
      if (child.isLevelEnabled(method)) child[method]({ namespace, ...fields }, message);
    };
}

const reachabilityOf = new WeakMap<Kafka, KafkaReachability>();

/**
 * Tells a client's log that Kafka answers (a fetch, a join, a connect): ends an outage it
 * reported, and arms the outage warning for later.
 */
export function kafkaReachable(kafka: Kafka): void {
  reachabilityOf.get(kafka)?.reached();
}

/** The kafkajs-typed client on the chosen engine (see the header). */
export function createKafka(options: CreateKafkaOptions): Kafka {
  const engine = options.engine ?? chooseKafkaEngine({});
  const librdkafka = engine === 'librdkafka' ? createLibrdkafka(options) : undefined;
  return librdkafka ?? createKafkajs(options);
}

function createLibrdkafka(options: CreateKafkaOptions): Kafka | undefined {
  const { logger } = options;
  const reachability = logger && new KafkaReachability(logger.child({ component: 'kafka' }));
  const kafka = createLibrdkafkaKafka(
    {
      ...connectionConfig(options),
      ...(logger && { logger: librdkafkaLogger(logger, reachability) }),
      compression: options.compression ?? 'lz4',
      ...(options.acks !== undefined && { acks: options.acks }),
      ...(options.maxMessageBytes !== undefined && { maxMessageBytes: options.maxMessageBytes }),
      kafkajsAdmin: () => createKafkajs({ ...options, logger: undefined }).admin(),
    },
    logger,
  );
  if (kafka && reachability) reachabilityOf.set(kafka, reachability);
  return kafka;
}

/** What both engines take in kafkajs's shape: brokers, client id, TLS/SASL, timeouts, retry, log level. */
function connectionConfig(options: CreateKafkaOptions) {
  return {
    brokers: options.brokers,
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    ...(options.ssl !== undefined && { ssl: options.ssl }),
    ...(options.sasl !== undefined && { sasl: options.sasl }),
    ...(options.connectionTimeout !== undefined && { connectionTimeout: options.connectionTimeout }),
    ...(options.requestTimeout !== undefined && { requestTimeout: options.requestTimeout }),
    ...(options.retry !== undefined && { retry: options.retry }),
    logLevel: kafkajsLevel(options.logger),
  };
}

function createKafkajs(options: CreateKafkaOptions): Kafka {
  registerCodecs();
  const { logger } = options;
  if (options.kafkajsSpeedPatches !== false) applyKafkajsSpeedPatches(logger ? { logger } : {});
  const reachability = logger && new KafkaReachability(logger.child({ component: 'kafka' }));
  const kafka = new KafkaClass({
    ...connectionConfig(options),
    ...(logger && { logCreator: pinoLogCreator(logger, reachability) }),
  });
  if (reachability) reachabilityOf.set(kafka, reachability);
  return kafka;
}
