/**
 * The transport ceiling of the upload rows: the Kafka client alone (kafkajs, or librdkafka when
 * DATAFILE_STREAM_KAFKA_ENGINE says so, as for our programs) produces a file's bytes as records of
 * the chunk size, read once, with no hashing and no chunk encoding, through the same client
 * factory, config (LZ4, batch.size, linger.ms), partitioner and batching (ChunkProducer) as
 * upload-file. The bench times it as it times every uploader: until the topic's end offsets hold
 * every record. An upload that hashes the file and sends it cannot be faster than this on the
 * same machine, so OpenMSIStream's time over this one bounds the ratio an upload can reach.
 *
 * Usage: node bench/raw-produce.mjs <config> <topic> <file> <chunk size>
 * Exits 0 once every record was acknowledged (1 with a message on failure).
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { kafkaFromConfig } from '../dist/lib/kafka/kafka-from-config.js';
import { compressionFromName } from '../dist/lib/kafka/compression.js';
import { ChunkProducer } from '../dist/lib/producer/chunk-producer.js';
import { FilePartitioner } from '../dist/lib/producer/file-partitioner.js';
import { silentLogger } from '../dist/lib/log/create-logger.js';

const [config, topic, path, chunkSizeArg] = process.argv.slice(2);
const chunkSize = Number(chunkSizeArg);
if (!config || !topic || !path || !(chunkSize > 0)) {
  process.stderr.write('usage: node bench/raw-produce.mjs <config> <topic> <file> <chunk size>\n');
  process.exit(2);
}

const setup = kafkaFromConfig(config, 'producer', silentLogger());
const producer = setup.kafka.producer({ createPartitioner: FilePartitioner, ...(setup.producer.idempotent !== undefined && { idempotent: setup.producer.idempotent }) });
try {
  await producer.connect();
  const chunks = new ChunkProducer(producer, {
    topic,
    compression: compressionFromName(setup.producer.compression),
    ...(setup.producer.batchSizeBytes !== undefined && { batchBytes: setup.producer.batchSizeBytes }),
    ...(setup.producer.lingerMs !== undefined && { lingerMs: setup.producer.lingerMs }),
    ...(setup.producer.acks !== undefined && { acks: setup.producer.acks }),
  });
  const handle = await open(path, 'r');
  const acks = [];
  const key = `_${basename(path)}_raw`;
  try {
    for (let position = 0; ; position += chunkSize) {
      const value = Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await handle.read(value, 0, chunkSize, position);
      if (bytesRead === 0) break;
      const { acked } = await chunks.send(key, value.subarray(0, bytesRead));
      acked.catch(() => undefined);
      acks.push(acked);
    }
  } finally {
    await handle.close();
  }
  await chunks.flush();
  await Promise.all(acks);
  await producer.disconnect();
  process.exit(0);
} catch (err) {
  process.stderr.write(`raw-produce failed: ${err?.stack ?? err}\n`);
  process.exit(1);
}
