/**
 * kafka-client: the one place a kafkajs `Kafka` is built, so every client of the toolkit gets the
 * same codecs (LZ4 for OpenMSIStream's topics, see compression.ts) and the same logging.
 *
 * In: connection options (the shape `kafkaClientOptions()` in lib/config/kafka-options.ts
 * returns; extra fields are ignored) and an optional pino logger. Out: a kafkajs `Kafka`; nothing
 * connects until the caller connects a producer, consumer or admin.
 *
 * Logging: kafkajs entries go to a `{ component: 'kafkajs' }` child logger. ERROR -> error,
 * WARN -> warn, INFO -> debug (kafkajs says "consumer has joined the group" at INFO, which is
 * chatter for a file pipeline), DEBUG -> trace. kafkajs's own level follows the pino level so it
 * does not build entries nobody will see. Without a logger kafkajs is silent.
 */
import type { ConnectionOptions } from 'node:tls';
import kafkajs, { type Kafka, type LogEntry, type RetryOptions, type SASLOptions, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';
import { registerCodecs } from './compression.js';
import { useFastCrc32cInKafkajs } from './crc32c.js';
import { useLeanEncoderInKafkajs } from './lean-encoder.js';

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
}

export const DEFAULT_CLIENT_ID = 'datafile-stream';

type PinoMethod = 'error' | 'warn' | 'debug' | 'trace';

function pinoMethod(level: number): PinoMethod {
  if (level <= KafkaLogLevel.ERROR) return 'error';
  if (level === KafkaLogLevel.WARN) return 'warn';
  if (level === KafkaLogLevel.INFO) return 'debug';
  return 'trace';
}

/** The lowest kafkajs level whose entries the logger would keep. */
function kafkajsLevel(logger: Logger | undefined): number {
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

/** A kafkajs `logCreator` that writes into a child of `logger`. */
export function pinoLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      // pino stamps its own time and name; kafkajs's copies would only collide with them.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      const transient = namespace === 'Connection' && typeof fields.error === 'string' && TRANSIENT_ANSWERS.has(fields.error);
      child[transient ? 'debug' : pinoMethod(level)]({ namespace, ...fields }, message);
    };
}

export function createKafka(options: CreateKafkaOptions): Kafka {
  registerCodecs();
  useFastCrc32cInKafkajs();
  useLeanEncoderInKafkajs();
  const { logger } = options;
  return new KafkaClass({
    brokers: options.brokers,
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    ...(options.ssl !== undefined && { ssl: options.ssl }),
    ...(options.sasl !== undefined && { sasl: options.sasl }),
    ...(options.connectionTimeout !== undefined && { connectionTimeout: options.connectionTimeout }),
    ...(options.requestTimeout !== undefined && { requestTimeout: options.requestTimeout }),
    ...(options.retry !== undefined && { retry: options.retry }),
    logLevel: kafkajsLevel(logger),
    ...(logger && { logCreator: pinoLogCreator(logger) }),
  });
}
