/**
 * Interop over SASL_SSL: the real OpenMSIStream 1.8.8 (confluent-kafka, librdkafka) and this
 * toolkit on the secured local broker (`broker start --security sasl_ssl`, started here on free
 * ports and stopped after), both given the config file the broker wrote
 * (client-scram-sha-512.config: SCRAM-SHA-512, `$KAFKA_SASL_*`, ssl.ca.location) unchanged.
 *
 * - our upload-directory (on each engine) -> OpenMSIStream's DataFileDownloadDirectory rebuilds
 *   the tree byte for byte;
 * - OpenMSIStream's UploadDataFile -> our download-directory (on each engine) rebuilds the files.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createTopic } from '../../lib/kafka/create-topic.js';
import { librdkafkaAvailable } from '../../lib/kafka/librdkafka-engine.js';
import { startSecuredBroker, type SecuredBroker } from '../support/secured-broker.js';
import { CHILD_ENV, CHUNK_SIZE, Scope, assertRunning, hashTree, sorted, treeHas, waitFor, writeTree } from './helpers.js';

const ENGINES = ['kafkajs', ...(librdkafkaAvailable() ? ['librdkafka'] : [])];
const TREE: Record<string, number> = { 'top.txt': 12, 'multi.bin': 5 * CHUNK_SIZE + 77, 'nested/deeper/leaf.dat': 2 * CHUNK_SIZE + 1 };
let broker: SecuredBroker;

before(async () => {
  broker = await startSecuredBroker();
});
after(async () => {
  await broker?.stop();
});

async function securedTopic(label: string): Promise<string> {
  const topic = `secured-interop-${label}-${Date.now()}`;
  await broker.withAdmin((admin) => createTopic(admin, { topic, numPartitions: 3 }));
  return topic;
}

for (const engine of ENGINES) {
  test(`over SASL_SSL (SCRAM-SHA-512): our upload-directory on ${engine} -> OpenMSIStream DataFileDownloadDirectory rebuilds the tree`, { timeout: 300_000 }, async (t) => {
    const scope = new Scope(t);
    const env = { ...CHILD_ENV, ...broker.env };
    const config = broker.started.client!.configFiles['SCRAM-SHA-512'];
    const work = await scope.tempDir('secured-ours-to-py');
    const expected = await writeTree(join(work, 'up'), TREE);
    const topic = await securedTopic(`ours-${engine}`);
    const upload = ['upload-directory', join(work, 'up'), '--config', config, '--topic_name', topic, '--kafka_engine', engine];
    await scope.ours([...upload, '--chunk_size', String(CHUNK_SIZE), '--upload_existing', '--until_idle', '2'], env).succeeds(120_000);

    const outDir = join(work, 'down');
    const download = scope.python('DataFileDownloadDirectory', [outDir, '--config', config, '--topic_name', topic], 'main', env);
    await waitFor(() => `OpenMSIStream to rebuild the tree over SASL_SSL (output:\n${download.tail()})`, async () => {
      assertRunning(download);
      return treeHas(outDir, expected);
    }, 150_000);
    await download.quitAndWait(90_000);
    assert.deepEqual(sorted(await hashTree(outDir)), sorted(expected));
  });

  test(`over SASL_SSL (SCRAM-SHA-512): OpenMSIStream UploadDataFile -> our download-directory on ${engine} rebuilds the files`, { timeout: 300_000 }, async (t) => {
    const scope = new Scope(t);
    const env = { ...CHILD_ENV, ...broker.env };
    const config = broker.started.client!.configFiles['SCRAM-SHA-512'];
    const work = await scope.tempDir('secured-py-to-ours');
    const files = { 'one.dat': 3 * CHUNK_SIZE + 5, 'two.txt': 999 };
    const expected = await writeTree(join(work, 'up'), files);
    const topic = await securedTopic(`py-${engine}`);
    for (const name of Object.keys(files)) {
      await scope.python('UploadDataFile', [join(work, 'up', name), '--config', config, '--topic_name', topic, '--chunk_size', String(CHUNK_SIZE)], 'main', env).succeeds(120_000);
    }
    const outDir = join(work, 'down');
    const args = ['download-directory', outDir, '--config', config, '--topic_name', topic, '--kafka_engine', engine, '--until_idle', '4'];
    await scope.ours(args, env).succeeds(120_000);
    const rebuilt = new Map([...(await hashTree(outDir))].filter(([path]) => !path.startsWith('LOGS')));
    assert.deepEqual(sorted(rebuilt), sorted(expected));
  });
}
