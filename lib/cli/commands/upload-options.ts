/**
 * Arguments and setup shared by `upload-file` and `upload-directory`: config, topic, chunk size
 * (a power of two, OpenMSIStream's rule), logging, and a connected ChunkProducer. Each argument
 * carries its validator (lib/config/option-values.ts), which the parser runs, so a command has
 * every value checked before it creates a log file or connects.
 */
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { ConfigError, isCodedError, UploadError } from '../../errors.js';
import { kafkaClientOptions } from '../../config/kafka-options.js';
import { compressionFromName } from '../../kafka/compression.js';
import { ensureTopic } from '../../kafka/ensure-topic.js';
import { kafkaUnreachable, refusedByEveryBroker } from '../../kafka/kafka-unreachable.js';
import { kafkaFromConfig } from '../../kafka/kafka-from-config.js';
import { checkKafkaSecurity } from '../../kafka/kafka-security-check.js';
import { ChunkProducer } from '../../producer/chunk-producer.js';
import { FilePartitioner } from '../../producer/file-partitioner.js';
import { checkQueueMaxMebibytes, DEFAULT_QUEUE_MAX_MEBIBYTES } from '../../producer/chunk-producer-options.js';
import { checkChunkSize, UPLOAD_FILE_DEFAULTS } from '../../producer/upload-file-options.js';
import { checkUploadThreads, DIRECTORY_UPLOADER_DEFAULTS } from '../../producer/upload-directory-options.js';
import type { ArgumentDef, ParsedArguments } from '../../programs/runnable.js';
import { KAFKA_ARGUMENTS, topicOf } from '../../programs/kafka-arguments.js';

/** Defaults and checks are the producer stages' own (lib/producer/*-options.ts), so a flag and the library refuse the same values. */
export const UPLOAD_ARGUMENTS: ArgumentDef[] = [
  ...KAFKA_ARGUMENTS,
  { name: 'chunk_size', type: 'number', default: UPLOAD_FILE_DEFAULTS.chunkSize, check: checkChunkSize, help: 'bytes per chunk, a power of two' },
  { name: 'n_threads', type: 'number', default: DIRECTORY_UPLOADER_DEFAULTS.nThreads, check: checkUploadThreads, alias: ['n_producer_threads'], help: 'files read and sent at once (a sent file waits for its acknowledgements without holding one)' },
  { name: 'queue_max_size', type: 'number', default: DEFAULT_QUEUE_MAX_MEBIBYTES, check: checkQueueMaxMebibytes, help: 'MB of chunks queued or unacknowledged at most (memory bound)' },
  { name: 'legacy', type: 'boolean', default: false, help: 'write 9-field chunks for OpenMSIStream <= 1.8.6' },
];

export interface ConnectedProducer {
  producer: Producer;
  chunks: ChunkProducer;
  topic: string;
  close(): Promise<void>;
}

export async function connectProducer(args: ParsedArguments, logger: Logger): Promise<ConnectedProducer> {
  const topic = topicOf(args, logger);
  const maxBytesInFlight = Number(args.queue_max_size) * 1024 * 1024;
  const setup = kafkaFromConfig(String(args.config), 'producer', logger, { allowPlaintext: args.allow_plaintext === true, engine: args.kafka_engine as string | undefined });
  const compression = compressionFromName(setup.producer.compression);
  const client = kafkaClientOptions(setup.config.sections, 'producer');
  const brokerList = client.brokers;
  const brokers = brokerList.join(',');
  const refused = await refusedByEveryBroker(brokerList);
  if (refused !== undefined) throw kafkaUnreachable('produce to', topic, brokerList, refused);
  await checkKafkaSecurity(client, 'produce to', topic);
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

/** kafkajs errors while setting up once the broker answered (a topic it refuses, a lost connection) as one coded line naming both. */
function kafkaSetupError(err: unknown, topic: string, brokers: string): Error {
  if (isCodedError(err)) return err;
  const inner = (err as { errors?: Array<{ type?: string; message?: string }> } | undefined)?.errors;
  const detail = Array.isArray(inner) && inner.length > 0 ? inner.map((e) => e.type ?? e.message).join(', ') : ((err as Error)?.message ?? String(err));
  return new UploadError('ERR_KAFKA', `cannot produce to topic "${topic}" on Kafka at ${brokers}: ${detail}`, { topic }, err);
}
