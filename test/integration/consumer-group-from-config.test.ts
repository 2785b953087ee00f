/**
 * The consumer group comes from the config's `group.id` unless `--consumer_group_id` is given
 * (OpenMSIStream's rule): checked by the offsets the broker holds under each name.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pipeline } from 'node:stream/promises';
import { createConsumerPipeline } from '../../lib/pipeline/create-consumer-pipeline.js';
import { silent } from '../support/silent-logger.js';
import { DataFileDownloadDirectory } from '../../lib/programs/data-file-download-directory.js';
import { tempDir } from '../support/temp-dir.js';
import { assertCommittedToEnd, BROKER, bytes, chunksOf, createTopic, offsets, produce, recordOf, runCli, uniqueName } from './consumer-support.js';

async function topicWithOneFile(): Promise<string> {
  const topic = uniqueName('t-group-config');
  await createTopic(topic, 2);
  await produce(topic, chunksOf('sub/a.dat', bytes(40_000, 7), 16384).map((c) => recordOf(c)));
  return topic;
}

async function configWithGroup(dir: string, group: string): Promise<string> {
  const path = join(dir, 'with-group.config');
  await writeFile(path, `[broker]\nbootstrap.servers = ${BROKER}\n\n[consumer]\ngroup.id = ${group}\nauto.offset.reset = earliest\n`);
  return path;
}

test("download-directory without --consumer_group_id commits under the config's group.id", async (t) => {
  const dir = await tempDir(t);
  const topic = await topicWithOneFile();
  const group = uniqueName('g-from-config');
  const config = await configWithGroup(dir, group);
  const run = await runCli(['download-directory', join(dir, 'out'), '--config', config, '--topic_name', topic, '--until_idle', '1', '--logger_stream_level', 'error'], { timeoutMs: 90_000 });
  assert.equal(run.code, 0, run.stderr);
  await assertCommittedToEnd(topic, group);
  assert.ok([...(await offsets(topic, group)).committed.values()].some((o) => o > 0n), 'the config group holds commits');
});

test('--consumer_group_id (consumerGroupId) overrides the config: commits go under the given name only', async (t) => {
  const dir = await tempDir(t);
  const topic = await topicWithOneFile();
  const fromConfig = uniqueName('g-config-unused');
  const given = uniqueName('g-given');
  const config = await configWithGroup(dir, fromConfig);
  const program = new DataFileDownloadDirectory({ config, topicName: topic, consumerGroupId: given, outputDir: join(dir, 'out'), untilIdle: 1, loggerStreamLevel: 'error' });
  assert.equal(program.options.consumerGroupId, given);
  const summary = await program.run();
  assert.equal(summary.groupId, given);
  await assertCommittedToEnd(topic, given);
  assert.deepEqual([...(await offsets(topic, fromConfig)).committed.values()].filter((o) => o >= 0n), [], 'nothing committed under the config group');
});

test("an app's createConsumerPipeline without groupId uses the config's group.id (and the journal: a durable group)", async (t) => {
  const dir = await tempDir(t);
  const topic = await topicWithOneFile();
  const group = uniqueName('g-app-config');
  const config = await configWithGroup(dir, group);
  const p = await createConsumerPipeline({ config, topic, outputDir: join(dir, 'out'), mode: 'disk', logger: silent, untilIdle: 1 });
  assert.equal(p.groupId, group);
  assert.ok(p.journal, 'a named group keeps a staging journal');
  await pipeline(p.stages);
  await assertCommittedToEnd(topic, group);
});
