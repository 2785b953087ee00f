/**
 * Arguments and setup shared by `upload-file` and `upload-directory`: config, topic, chunk size
 * (a power of two, OpenMSIStream's rule), logging, and a connected ChunkProducer.
 */
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { ConfigError } from '../../errors.js';
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
  { name: 'n_threads', type: 'number', default: 2, help: 'files uploaded at once' },
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

export interface ConnectedProducer {
  producer: Producer;
  chunks: ChunkProducer;
  topic: string;
  close(): Promise<void>;
}

export async function connectProducer(args: ParsedArguments, logger: Logger): Promise<ConnectedProducer> {
  const topic = String(args.topic_name);
  const setup = kafkaFromConfig(String(args.config), 'producer', logger);
  await ensureTopic(setup.kafka, topic);
  const producer = setup.kafka.producer({ createPartitioner: FilePartitioner, allowAutoTopicCreation: true, ...(setup.producer.idempotent !== undefined && { idempotent: setup.producer.idempotent }) });
  await producer.connect();
  const chunks = new ChunkProducer(producer, {
    topic,
    compression: compressionFromName(setup.producer.compression),
    maxBytesInFlight: positiveInteger(args.queue_max_size ?? 64, 'queue_max_size') * 1024 * 1024,
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
