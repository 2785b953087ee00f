/**
 * The transport ceiling of the benchmark: plain kafkajs reads every record of a topic with no
 * processing at all (no decode, no hashing, no disk). Same client factory (LZ4 codec registered)
 * and the same consumer settings runConsumer derives from the config file, fresh group, from
 * offset 0, `eachBatch`.
 *
 * Usage: node bench/raw-consume.mjs <config> <topic> <expected records>
 * Prints one JSON line `{"event":"assigned"}` when the group handed it partitions and
 * `{"event":"done","records":n,"valueBytes":n}` once it read the expected number of records,
 * then disconnects and exits 0 (exit 1 with a message on failure).
 */
import { randomUUID } from 'node:crypto';
import { kafkaFromConfig } from '../dist/lib/kafka/kafka-from-config.js';
import { consumerFetchOptions } from '../dist/lib/pipeline/consumer-fetch-options.js';
import { silentLogger } from '../dist/lib/log/create-logger.js';

const [config, topic, expectedText] = process.argv.slice(2);
const expected = Number(expectedText);
if (!config || !topic || !Number.isInteger(expected) || expected < 1) {
  process.stderr.write('usage: node bench/raw-consume.mjs <config> <topic> <expected records>\n');
  process.exit(2);
}

const setup = kafkaFromConfig(config, 'consumer', silentLogger());
const consumer = setup.kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, allowAutoTopicCreation: false, ...consumerFetchOptions(setup.consumer) });
let records = 0;
let valueBytes = 0;
let finish;
const done = new Promise((resolve) => (finish = resolve));
consumer.on(consumer.events.GROUP_JOIN, () => process.stdout.write('{"event":"assigned"}\n'));
try {
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        records++;
        valueBytes += message.value?.length ?? 0;
      }
      if (records >= expected) finish();
    },
  });
  await done;
  process.stdout.write(`${JSON.stringify({ event: 'done', records, valueBytes })}\n`);
  await consumer.disconnect();
} catch (err) {
  process.stderr.write(`raw-consume failed: ${err?.stack ?? err}\n`);
  process.exit(1);
}
