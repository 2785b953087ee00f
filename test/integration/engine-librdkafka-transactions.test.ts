/**
 * Exactly-once reproducers on the librdkafka engine, against the real broker: a reproduce run
 * commits each file's result with the offsets past it in one librdkafka transaction (offsets
 * through the pipeline's consumer), so a read_committed reader finds one result per file; under
 * SIGKILLs at the crash points and restarts, 0 lost and 0 duplicates. Fencing: a producer made
 * with a transactional id that a running one holds aborts that one's open transaction and makes
 * its next commit fail. Offsets given by group id alone, kafkajs's way, are refused by code.
 * Needs the optional @confluentinc/kafka-javascript build (.ci/run builds it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { TransactionalResults } from '../../lib/programs/transactional-results.js';
import { CHILD_ENV, Scope } from '../interop/helpers.js';
import { assertCommittedToEnd, createTopic, silent, uniqueName } from './consumer-support.js';
import { countResults, killAndRestart, N, readCommitted, reproducerTopics, SHA_REPRODUCER } from './reproducer-crash-support.js';
import { tempDir } from '../support/temp-dir.js';

const LIBRDKAFKA_ENV: NodeJS.ProcessEnv = { ...CHILD_ENV, DATAFILE_STREAM_KAFKA_ENGINE: 'librdkafka' };

test('exactly once on librdkafka: one committed result per file, offsets committed to the end', { timeout: 300_000 }, async (t) => {
  const scope = new Scope(t);
  const { topic, results } = await reproducerTopics('rd-repro');
  const group = uniqueName('rd-repro-g');
  const out = await scope.tempDir('rd-repro');
  const run = scope.ours(['reproduce', SHA_REPRODUCER, '--config', 'local', '--topic_name', topic, '--producer_topic_name', results, '--consumer_group_id', group, '--output_dir', out, '--until_idle', '2', '--logger_stream_level', 'info'], { ...LIBRDKAFKA_ENV, SHA_REPRODUCER_DELAY_MS: '0' });
  await run.succeeds(120_000);
  assert.match(run.output, /"msg":"Kafka engine: librdkafka"/);
  assert.match(run.output, /results and offsets commit in one transaction/);
  await assertCommittedToEnd(topic, group);
  assert.deepEqual(countResults(await readCommitted(results, N)), { lost: 0, duplicates: 0 });
});

test('exactly once on librdkafka: SIGKILLed at the crash points and restarted, 0 lost and 0 duplicate committed results', { timeout: 600_000 }, async (t) => {
  const r = await killAndRestart(t, false, LIBRDKAFKA_ENV);
  t.diagnostic(`librdkafka, exactly once: ${r.kills} kills, ${r.lost} lost, ${r.duplicates} duplicates of ${N} results`);
  assert.deepEqual({ lost: r.lost, duplicates: r.duplicates }, { lost: 0, duplicates: 0 });
});

test('fencing on librdkafka: a restarted member with the same transactional id aborts the open transaction and fences the old producer', { timeout: 120_000 }, async (t) => {
  const topic = uniqueName('rd-fence');
  await createTopic(topic, 1);
  const outputDir = await tempDir(t);
  const options = { config: 'local', topic, logger: silent, groupId: uniqueName('rd-fence-g'), outputDir, kafkaEngine: 'librdkafka' };
  const first = await TransactionalResults.open(options);
  t.after(() => first.close());
  await first.sendAlone('before', 'committed by the first member');

  // The first member's producer, by its id, with a transaction left open (as a crash leaves it).
  const kafka = createKafka({ brokers: ['127.0.0.1:9092'], engine: 'librdkafka', logger: silent });
  const zombie = kafka.producer({ transactionalId: first.transactionalId, idempotent: true, maxInFlightRequests: 1 });
  t.after(() => zombie.disconnect());
  await zombie.connect(); // fences `first`
  const open = await zombie.transaction();
  await open.send({ topic, messages: [{ key: 'open', value: 'never committed' }] });

  const restarted = await TransactionalResults.open(options); // fences the zombie, aborting its open transaction
  t.after(() => restarted.close());
  await assert.rejects(open.commit(), 'the fenced producer cannot commit');
  await assert.rejects(first.sendAlone('fenced', 'from a fenced member'), { code: 'ERR_PRODUCE_FAILED' });
  await restarted.sendAlone('after', 'committed by the restarted member');

  const seen = await readCommitted(topic, 2);
  assert.deepEqual(seen.map((r) => r.key), ['before', 'after']);
});

test('on librdkafka, offsets by group id alone (kafkajs\'s sendOffsets) are refused with ERR_TRANSACTIONS_UNSUPPORTED', { timeout: 60_000 }, async (t) => {
  const topic = uniqueName('rd-offsets');
  await createTopic(topic, 1);
  const kafka = createKafka({ brokers: ['127.0.0.1:9092'], engine: 'librdkafka', logger: silent });
  const producer = kafka.producer({ transactionalId: `${topic}-txn`, idempotent: true, maxInFlightRequests: 1 });
  t.after(() => producer.disconnect());
  await producer.connect();
  const txn = await producer.transaction();
  await assert.rejects(txn.sendOffsets({ consumerGroupId: 'g', topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }] }), { code: 'ERR_TRANSACTIONS_UNSUPPORTED', groupId: 'g' });
  await txn.abort();
  assert.equal(txn.isActive(), false, 'the transaction aborted cleanly after the refusal');
});
