/**
 * Arguments and setup shared by `upload-file` and `upload-directory`: config, topic, chunk size
 * (a power of two, OpenMSIStream's rule), logging, and a connected ChunkProducer.
 */
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { ConfigError, isCodedError, UploadError } from '../../errors.js';
import { kafkaClientOptions } from '../../config/kafka-options.js';
import { compressionFromName } from '../../kafka/compression.js';
import { ensureTopic } from '../../kafka/ensure-topic.js';
import { kafkaFromConfig } from '../../kafka/kafka-from-config.js';
import { ChunkProducer } from '../../producer/chunk-producer.js';
import { FilePartitioner } from '../../producer/file-partitioner.js';
import type { ArgumentDef, ParsedArguments } from '../runnable.js';

export const DEFAULT_CHUNK_SIZE = 524288;

export const KAFKA_ARGUMENTS: ArgumentDef[] = [
  { name: 'config', type: 'string', default: 'local', help: 'config file path, or a name looked up in $OPENMSISTREAM_CONFIG_FILE_DIR and the bundled configs' },
  { name: 'topic_name', type: 'string', default: 'test', help: 'Kafka topic' },
];

export const UPLOAD_ARGUMENTS: ArgumentDef[] = [
  ...KAFKA_ARGUMENTS,
  { name: 'chunk_size', type: 'number', default: DEFAULT_CHUNK_SIZE, help: 'bytes per chunk, a power of two' },
  { name: 'n_threads', type: 'number', default: 2, help: 'files read and sent at once (a sent file waits for its acknowledgements without holding one)' },
  { name: 'queue_max_size', type: 'number', default: 64, help: 'MB of chunks queued or unacknowledged at most (memory bound)' },
  { name: 'legacy', type: 'boolean', default: false, help: 'write 9-field chunks for OpenMSIStream <= 1.8.6' },
];

export function checkChunkSize(value: unknown): number {
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1 || (size & (size - 1)) !== 0 || size > 64 * 1024 * 1024) {
    throw new ConfigError('ERR_INVALID_ARGUMENT', `--chunk_size must be a power of two up to 64 MiB, got ${value}`, { option: 'chunk_size' });
  }
  return size;
}

export function positiveInteger(value: unknown, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('ERR_INVALID_ARGUMENT', `--${name} must be a positive integer, got ${value}`, { option: name });
  return n;
}

export function nonNegativeNumber(value: unknown, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError('ERR_INVALID_ARGUMENT', `--${name} must be a number of seconds >= 0, got ${value}`, { option: name });
  return n;
}

/** Kafka's own rule for topic names; checked here so a bad name is a usage error, not a broker one. */
export function checkTopicName(value: unknown): string {
  const topic = String(value ?? '');
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..') {
    throw new ConfigError('ERR_INVALID_ARGUMENT', `--topic_name must be 1-249 of a-z A-Z 0-9 . _ -, got ${JSON.stringify(topic)}`, { option: 'topic_name' });
  }
  return topic;
}

export interface ConnectedProducer {
  producer: Producer;
  chunks: ChunkProducer;
  topic: string;
  close(): Promise<void>;
}

/** Checks the arguments connectProducer uses, so a command can reject them before it touches anything. */
export function checkProducerArguments(args: ParsedArguments): void {
  checkTopicName(args.topic_name);
  positiveInteger(args.queue_max_size ?? 64, 'queue_max_size');
}

export async function connectProducer(args: ParsedArguments, logger: Logger): Promise<ConnectedProducer> {
  const topic = checkTopicName(args.topic_name);
  const maxBytesInFlight = positiveInteger(args.queue_max_size ?? 64, 'queue_max_size') * 1024 * 1024;
  const setup = kafkaFromConfig(String(args.config), 'producer', logger);
  const compression = compressionFromName(setup.producer.compression);
  const brokers = kafkaClientOptions(setup.config.sections, 'producer').brokers.join(',');
  try {
    await ensureTopic(setup.kafka, topic);
  } catch (err) {
    throw kafkaSetupError(err, topic, brokers);
  }
  const producer = setup.kafka.producer({ createPartitioner: FilePartitioner, allowAutoTopicCreation: true, ...(setup.producer.idempotent !== undefined && { idempotent: setup.producer.idempotent }) });
  try {
    await producer.connect();
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw kafkaSetupError(err, topic, brokers);
  }
  const chunks = new ChunkProducer(producer, {
    topic,
    compression,
    maxBytesInFlight,
    ...(setup.producer.batchSizeBytes !== undefined && { batchBytes: setup.producer.batchSizeBytes }),
    ...(setup.producer.lingerMs !== undefined && { lingerMs: setup.producer.lingerMs }),
    ...(setup.producer.acks !== undefined && { acks: setup.producer.acks }),
  });
  return {
    producer,
    chunks,
    topic,
    close: async () => {
      await chunks.flush().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    },
  };
}

/** kafkajs errors while setting up (unreachable broker, topic the broker refuses) as one coded line naming both. */
function kafkaSetupError(err: unknown, topic: string, brokers: string): Error {
  if (isCodedError(err)) return err;
  const inner = (err as { errors?: Array<{ type?: string; message?: string }> } | undefined)?.errors;
  const detail = Array.isArray(inner) && inner.length > 0 ? inner.map((e) => e.type ?? e.message).join(', ') : ((err as Error)?.message ?? String(err));
  return new UploadError('ERR_KAFKA', `cannot produce to topic "${topic}" on Kafka at ${brokers}: ${detail}`, { topic }, err);
}
