/**
 * The transport ceiling of the benchmark: the Kafka client alone (kafkajs, or librdkafka when
 * DATAFILE_STREAM_KAFKA_ENGINE says so, as for our programs) reads every record of a topic with no
 * processing at all (no decode, no hashing, no disk) and commits what it read, so the bench
 * times it as it times every other consumer: by the group's committed offsets reaching the end
 * of the topic (bench/group-clock.ts). Same client factory (LZ4 codec registered) and the same
 * consumer settings runConsumer derives from the config file, from offset 0, `eachBatch`, with
 * kafkajs committing after each batch.
 *
 * Usage: node bench/raw-consume.mjs <config> <topic> <group id>
 * Runs until `q` + Enter (or end of stdin, or SIGTERM), then disconnects and exits 0 (exit 1
 * with a message on failure).
 */
import { createInterface } from 'node:readline';
import { kafkaFromConfig } from '../dist/lib/kafka/kafka-from-config.js';
import { consumerFetchOptions } from '../dist/lib/pipeline/consumer-fetch-options.js';
import { silentLogger } from '../dist/lib/log/create-logger.js';

const [config, topic, groupId] = process.argv.slice(2);
if (!config || !topic || !groupId) {
  process.stderr.write('usage: node bench/raw-consume.mjs <config> <topic> <group id>\n');
  process.exit(2);
}

const setup = kafkaFromConfig(config, 'consumer', silentLogger());
const consumer = setup.kafka.consumer({ groupId, allowAutoTopicCreation: false, ...consumerFetchOptions(setup.consumer) });
let finish;
const stopped = new Promise((resolve) => (finish = resolve));
createInterface({ input: process.stdin })
  .on('line', (line) => line.trim() === 'q' && finish())
  .on('close', () => finish());
process.once('SIGTERM', () => finish());
try {
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    // With no interval or threshold, kafkajs commits the resolved offsets after every batch.
    autoCommit: true,
    eachBatch: async ({ batch }) => {
      let valueBytes = 0;
      for (const message of batch.messages) valueBytes += message.value?.length ?? 0;
      return valueBytes;
    },
  });
  await stopped;
  await consumer.disconnect();
  process.exit(0);
} catch (err) {
  process.stderr.write(`raw-consume failed: ${err?.stack ?? err}\n`);
  process.exit(1);
}
