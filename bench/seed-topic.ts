/**
 * Fills a topic with a corpus, untimed, when the timed upload did not (it was capped or failed):
 * the consumers must still each read the whole corpus. Uses this toolkit's own producer path
 * (uploadFile into one ChunkProducer, file-keyed partitioner, the config's LZ4), with many files
 * in flight at once, so 20,000 small files do not wait 100 ms of linger each in turn.
 *
 * In: config path, topic, corpus. Out: resolves once every chunk was acknowledged.
 */
import { join } from 'node:path';
import { compressionFromName } from '../lib/kafka/compression.js';
import { kafkaFromConfig } from '../lib/kafka/kafka-from-config.js';
import { silentLogger } from '../lib/log/create-logger.js';
import { ChunkProducer } from '../lib/producer/chunk-producer.js';
import { FilePartitioner } from '../lib/producer/file-partitioner.js';
import { uploadFile } from '../lib/producer/upload-file.js';
import type { Corpus } from './corpora.js';

const FILES_IN_FLIGHT = 64;

export async function seedTopic(config: string, topic: string, corpus: Corpus, chunkSize: number): Promise<void> {
  const setup = kafkaFromConfig(config, 'producer', silentLogger());
  const producer = setup.kafka.producer({ createPartitioner: FilePartitioner });
  await producer.connect();
  try {
    const chunks = new ChunkProducer(producer, {
      topic,
      compression: compressionFromName(setup.producer.compression),
      ...(setup.producer.batchSizeBytes !== undefined && { batchBytes: setup.producer.batchSizeBytes }),
      ...(setup.producer.lingerMs !== undefined && { lingerMs: setup.producer.lingerMs }),
    });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < corpus.files.length) {
        const file = corpus.files[next++]!;
        const parts = file.relPath.split('/');
        const filename = parts.pop()!;
        await uploadFile(chunks, join(corpus.dir, file.relPath), { chunkSize, subdirStr: parts.join('/'), filename });
      }
    };
    await Promise.all(Array.from({ length: FILES_IN_FLIGHT }, worker));
    await chunks.flush();
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
