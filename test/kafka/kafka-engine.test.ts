/**
 * The engine choice: flag > config [client] engine > DATAFILE_STREAM_KAFKA_ENGINE > kafkajs, bad
 * names refused naming where they were written, and the fallback to kafkajs (said once) where
 * the optional librdkafka package cannot be loaded, shown in a child whose require of it fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chooseKafkaEngine, KAFKA_ENGINE_ENV } from '../../lib/config/kafka-engine-option.js';
import { clientSectionOptions, kafkaClientOptions } from '../../lib/config/kafka-options.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { tempDir } from '../support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

test('flag > config > environment > kafkajs', () => {
  const env = { [KAFKA_ENGINE_ENV]: 'librdkafka' };
  assert.equal(chooseKafkaEngine({ env: {} }), 'kafkajs');
  assert.equal(chooseKafkaEngine({ env }), 'librdkafka');
  assert.equal(chooseKafkaEngine({ config: 'kafkajs', env }), 'kafkajs');
  assert.equal(chooseKafkaEngine({ flag: 'librdkafka', config: 'kafkajs', env: {} }), 'librdkafka');
  assert.equal(chooseKafkaEngine({ flag: 'KafkaJS', config: 'librdkafka', env }), 'kafkajs');
  assert.equal(chooseKafkaEngine({ flag: '', config: undefined, env: { [KAFKA_ENGINE_ENV]: ' ' } }), 'kafkajs');
});

test('an unknown engine name is refused, naming the flag, the config key or the variable', () => {
  const refused = (fn: () => unknown, option: string): void => assert.throws(fn, (err: { code?: string; option?: string }) => err.code === 'ERR_INVALID_ARGUMENT' && err.option === option);
  refused(() => chooseKafkaEngine({ flag: 'rdkafka' }), '--kafka_engine');
  refused(() => chooseKafkaEngine({ config: 'java', env: {} }), 'client.engine');
  refused(() => chooseKafkaEngine({ env: { [KAFKA_ENGINE_ENV]: 'x' } }), KAFKA_ENGINE_ENV);
});

test('[client] engine is read from the config; its unknown keys are warnings, and the section is no longer "unknown"', () => {
  const sections = { broker: { 'bootstrap.servers': 'localhost:9092' }, client: { engine: 'LibrdKafka', colour: 'blue' } };
  const client = clientSectionOptions(sections);
  assert.equal(client.engine, 'librdkafka');
  assert.deepEqual(client.warnings, ['client.colour: unknown key, ignored']);
  assert.deepEqual(kafkaClientOptions(sections).warnings, []);
  assert.throws(() => clientSectionOptions({ client: { engine: 'java' } }), { code: 'ERR_CONFIG_VALUE', option: 'client.engine' });
});

// createKafka on librdkafka giving the adapters: engine-librdkafka-client.test.ts (run where the build loads).
test('createKafka on kafkajs gives the kafkajs client', () => {
  const js = createKafka({ brokers: ['127.0.0.1:1'], engine: 'kafkajs' });
  assert.notEqual(js.admin().constructor.name, 'LibrdkafkaAdmin');
  assert.equal(typeof js.admin().describeCluster, 'function');
});

test('where the librdkafka package cannot be loaded, kafkajs runs and the program says so once', async (t) => {
  const dir = await tempDir(t, 'dfs-engine-fallback-');
  // Makes the optional package unloadable, as a failed native build leaves it.
  await writeFile(join(dir, 'no-librdkafka.cjs'), `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@confluentinc/kafka-javascript') { const e = new Error("Cannot find module '" + request + "'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
  return resolve.call(this, request, ...rest);
};`);
  await writeFile(join(dir, 'child.mts'), `import { createRequire } from 'node:module';
const pino = createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('pino');
import { createKafka } from ${JSON.stringify(join(ROOT, 'lib/kafka/kafka-client.ts'))};
const logger = pino(pino.destination(2));
const clients = [createKafka({ brokers: ['127.0.0.1:1'], logger }), createKafka({ brokers: ['127.0.0.1:1'], logger })];
console.log(JSON.stringify(clients.map((k) => k.admin().constructor.name)));`);
  const { stdout, stderr } = await run(process.execPath, ['--require', join(dir, 'no-librdkafka.cjs'), '--import', 'tsx', join(dir, 'child.mts')], {
    cwd: ROOT,
    env: { ...process.env, [KAFKA_ENGINE_ENV]: 'librdkafka' },
    encoding: 'utf8',
  });
  assert.ok(!JSON.parse(stdout).includes('LibrdkafkaAdmin'), stdout);
  const warnings = stderr.split('\n').filter((l) => l.includes('Kafka engine librdkafka unavailable, running kafkajs'));
  assert.equal(warnings.length, 1, stderr);
  assert.match(warnings[0]!, /"level":40/);
  assert.match(warnings[0]!, /is not installed/);
});
