/**
 * Exactly-once results: the default on both engines (the librdkafka engine's transactions are tested
 * against the broker in test/integration/engine-librdkafka-transactions.test.ts), and the member's
 * transactional id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reproducerTransactionalId } from '../../lib/programs/transactional-results.js';
import { DataFileStreamReproducer } from '../../lib/programs/data-file-stream-reproducer.js';

class Echo extends DataFileStreamReproducer {
  getProcessingResultMessageForFile(): string {
    return 'x';
  }
}

test('exactly once is the default on either engine; --at_least_once turns it off', () => {
  for (const kafkaEngine of ['kafkajs', 'librdkafka']) {
    assert.equal(new Echo({ config: 'local', topicName: 'chunks', producerTopicName: 'results', outputDir: '/tmp/x', kafkaEngine, loggerStreamLevel: 'silent' }).atLeastOnce, false, kafkaEngine);
  }
  assert.equal(new Echo(Echo.getArgumentParser().parse(['--producer_topic_name', 'r', '--at_least_once', '--output_dir', '/tmp/x/o', '--logger_stream_level', 'silent'])).atLeastOnce, true);
});

test('the transactional id is stable for one member (group, topic, output dir) and differs between members', () => {
  assert.equal(reproducerTransactionalId('g', 'r', '/data/a'), reproducerTransactionalId('g', 'r', '/data/a'));
  assert.notEqual(reproducerTransactionalId('g', 'r', '/data/a'), reproducerTransactionalId('g', 'r', '/data/b'));
  assert.match(reproducerTransactionalId('g', 'r', '/data/a'), /^datafile-stream\.reproducer\.g\.r\.[0-9a-f]{12}$/);
});
