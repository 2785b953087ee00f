/** Exactly-once results need kafkajs's transactions: the librdkafka engine is refused, by name, before any client is made. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TransactionalResults, reproducerTransactionalId } from '../../lib/programs/transactional-results.js';
import { DataFileStreamReproducer } from '../../lib/programs/data-file-stream-reproducer.js';
import { silent } from '../support/silent-logger.js';
import { tempDir } from '../support/temp-dir.js';

class Echo extends DataFileStreamReproducer {
  getProcessingResultMessageForFile(): string {
    return 'x';
  }
}

test('the librdkafka engine is refused with ERR_TRANSACTIONS_UNSUPPORTED naming it; --at_least_once is the way out', async (t) => {
  const base = { config: 'local', topic: 'results', logger: silent, groupId: 'g', outputDir: '/tmp/x' };
  await assert.rejects(TransactionalResults.open({ ...base, kafkaEngine: 'librdkafka' }), (err: Error & { code?: string; engine?: string }) => {
    assert.equal(err.code, 'ERR_TRANSACTIONS_UNSUPPORTED');
    assert.equal(err.engine, 'librdkafka');
    assert.match(err.message, /librdkafka.*--at_least_once/);
    return true;
  });
  const outputDir = await tempDir(t);
  const reproducer = new Echo({ config: 'local', topicName: 'chunks', producerTopicName: 'results', outputDir, kafkaEngine: 'librdkafka', loggerStreamLevel: 'silent' });
  assert.equal(reproducer.atLeastOnce, false, 'exactly once is the default');
  await assert.rejects(reproducer.run(), { code: 'ERR_TRANSACTIONS_UNSUPPORTED' });
  assert.equal(new Echo(Echo.getArgumentParser().parse(['--producer_topic_name', 'r', '--at_least_once', '--output_dir', join(outputDir, 'o'), '--logger_stream_level', 'silent'])).atLeastOnce, true);
});

test('the transactional id is stable for one member (group, topic, output dir) and differs between members', () => {
  assert.equal(reproducerTransactionalId('g', 'r', '/data/a'), reproducerTransactionalId('g', 'r', '/data/a'));
  assert.notEqual(reproducerTransactionalId('g', 'r', '/data/a'), reproducerTransactionalId('g', 'r', '/data/b'));
  assert.match(reproducerTransactionalId('g', 'r', '/data/a'), /^datafile-stream\.reproducer\.g\.r\.[0-9a-f]{12}$/);
});
