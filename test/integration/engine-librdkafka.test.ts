/**
 * The librdkafka engine end to end, through the built bin: upload-file and download-directory
 * with --kafka_engine librdkafka rebuild the same bytes and leave the group's committed offsets
 * at the topic's end; a file uploaded by one engine is rebuilt by the other, both ways.
 * Needs the optional @confluentinc/kafka-javascript build (.ci/run builds it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { librdkafkaAvailable } from '../../lib/kafka/librdkafka-engine.js';
import { assertCommittedToEnd } from './consumer-support.js';
import { ROOT, uniqueTopic } from './upload-support.js';
import { tempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'dist/bin/datafile-stream.js');

async function bin(args: string[]): Promise<{ stdout: string; stderr: string }> {
  // No engine in the environment: the flag alone decides.
  const env = { ...process.env, DATAFILE_STREAM_KAFKA_ENGINE: '' };
  return run(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000, maxBuffer: 32 * 1024 * 1024 });
}

async function roundTrip(t: test.TestContext, upload: string, download: string): Promise<void> {
  const dir = await tempDir(t, 'dfs-engine-');
  const topic = uniqueTopic(t, 't-engine');
  const group = `g-engine-${randomUUID()}`;
  // Half random, half repetitive, so the codec has both kinds of record to (de)compress.
  const content = Buffer.concat([randomBytes(1_500_000), Buffer.alloc(1_500_000, 'instrument,1.25,ok\n')]);
  await writeFile(join(dir, 'data.bin'), content);
  const up = await bin(['upload-file', join(dir, 'data.bin'), '--topic_name', topic, '--kafka_engine', upload]);
  const said = (out: string): boolean => out.includes('"msg":"Kafka engine: librdkafka"');
  assert.equal(said(up.stderr), upload === 'librdkafka', up.stderr);
  const down = await bin(['download-directory', join(dir, 'out'), '--topic_name', topic, '--consumer_group_id', group, '--until_idle', '3', '--kafka_engine', download]);
  assert.match(down.stdout + down.stderr, /1 files processed, 0 failed, 0 mismatched/);
  assert.equal(said(down.stderr), download === 'librdkafka', down.stderr);
  assert.deepEqual(await readFile(join(dir, 'out', 'data.bin')), content);
  await assertCommittedToEnd(topic, group);
}

test('the librdkafka build is there (the tests below need it)', () => {
  assert.equal(librdkafkaAvailable(), true, 'npm ci with CKJS_LINKING=dynamic and the Debian libraries of .ci/run builds it');
});

test('upload-file and download-directory on librdkafka rebuild the bytes and commit to the end of the topic', async (t) => {
  await roundTrip(t, 'librdkafka', 'librdkafka');
});

test('a file uploaded by kafkajs is rebuilt by librdkafka', async (t) => {
  await roundTrip(t, 'kafkajs', 'librdkafka');
});

test('a file uploaded by librdkafka is rebuilt by kafkajs', async (t) => {
  await roundTrip(t, 'librdkafka', 'kafkajs');
});
