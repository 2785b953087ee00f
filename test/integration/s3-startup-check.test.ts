/**
 * Integration: s3-transfer's start-up check stops the program before it reads anything from
 * Kafka. A topic holds a real file; s3-transfer is run against an endpoint that is a closed
 * loopback port, a bucket that does not exist, and a key the server does not know. Each run
 * exits 1 with a coded error that says what is wrong, and leaves no trace in Kafka or on disk:
 * no committed offset for its group (kafkajs admin fetchOffsets), no registry row, no file in
 * the output directory. The same group then transfers the file once the config is right.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort } from '../support/closed-port.js';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { assertBucketMatches, assertExit, BROKER, content, createBucket, ensureS3Server, readRegistry, removeBuckets, runCli, testS3Client, uniqueBucket, uniqueTopic, writeS3Config, type CliResult } from './s3-support.js';

let work: string;
let client: S3Client | undefined;
let stopServer: () => Promise<void> = async () => undefined;
const topics: string[] = [];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 's3-startup-it-'));
});

after(async () => {
  if (client) await removeBuckets(client);
  client?.destroy();
  await stopServer();
  const admin = createKafka({ brokers: [BROKER] }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ours = topics.filter((t) => existing.has(t));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
  } finally {
    await admin.disconnect();
  }
  if (work) await rm(work, { recursive: true, force: true });
});

/** MinIO only for the tests that need an answering server (the first test needs none). */
async function s3(): Promise<S3Client> {
  if (!client) {
    stopServer = await ensureS3Server();
    client = testS3Client();
  }
  return client;
}

/** A topic holding one uploaded file. */
async function topicWithFile(name: string, data: Buffer): Promise<string> {
  const topic = uniqueTopic('t-s3-start');
  topics.push(topic);
  const file = join(work, name);
  await writeFile(file, data);
  assertExit(await runCli(['upload-file', file, '--topic_name', topic, '--logger_stream_level', 'warning']), 0);
  return topic;
}

function transfer(bucket: string, config: string, topic: string, group: string, out: string): Promise<CliResult> {
  return runCli(['s3-transfer', bucket, '--config', config, '--topic_name', topic, '--consumer_group_id', group, '--output_dir', out, '--until_idle', '2', '--logger_stream_level', 'warning'], 120_000);
}

/** The run stopped with `code` on stderr and left nothing behind for its group. */
async function assertStoppedBeforeConsuming(result: CliResult, code: string, message: RegExp, topic: string, group: string, out: string): Promise<void> {
  assertExit(result, 1);
  assert.match(result.stderr, new RegExp(`datafile-stream s3-transfer: ${code}: `), result.stderr.slice(-3000));
  assert.match(result.stderr, message);
  assert.match(result.stderr, /stopped before reading anything from Kafka/);
  assert.doesNotMatch(result.stdout, /files processed/, 'no run summary: the run never started');
  const admin = createKafka({ brokers: [BROKER] }).admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    assert.ok(committed && committed.partitions.length > 0, 'fetchOffsets lists the topic');
    for (const p of committed.partitions) assert.equal(p.offset, '-1', `partition ${p.partition}: no offset committed for ${group}`);
  } finally {
    await admin.disconnect();
  }
  assert.deepEqual(await readRegistry(out, 'in_progress', topic, group), [], 'no file recorded in progress or failed');
  assert.deepEqual(await readRegistry(out, 'processed', topic, group), [], 'no file recorded processed');
  const left = existsSync(out) ? (await readdir(out, { recursive: true })).map(String).filter((p) => !p.startsWith('LOGS')) : [];
  assert.deepEqual(left, [], 'nothing was reconstructed or staged in the output directory');
}

test('an unreachable S3 endpoint stops s3-transfer at start-up: exit 1, ERR_S3_UNREACHABLE, nothing consumed or committed', async () => {
  const topic = await topicWithFile('unreachable.dat', content(100_000));
  const port = await closedPort();
  const config = await writeS3Config(work, { port });
  const out = join(work, 'out-unreachable');
  const group = `g-${topic}`;
  const result = await transfer('some-bucket', config, topic, group, out);
  await assertStoppedBeforeConsuming(result, 'ERR_S3_UNREACHABLE', new RegExp(`S3 endpoint http://127\\.0\\.0\\.1:${port} is unreachable .*ECONNREFUSED`), topic, group, out);
});

test('a bucket that does not exist and a key the server does not know stop it too (ERR_S3_CONFIG); fixed, the same group sends the file', async () => {
  const s3Client = await s3();
  const data = content(250_000);
  const topic = await topicWithFile('config.dat', data);
  const out = join(work, 'out-config');
  const group = `g-${topic}`;
  const good = await writeS3Config(work);

  const missing = uniqueBucket('missing');
  const noBucket = await transfer(missing, good, topic, group, out);
  await assertStoppedBeforeConsuming(noBucket, 'ERR_S3_CONFIG', new RegExp(`bucket "${missing}" does not exist at http://127\\.0\\.0\\.1:\\d+; create it`), topic, group, out);

  const bucket = uniqueBucket();
  await createBucket(s3Client, bucket);
  const unknownKey = await transfer(bucket, await writeS3Config(work, { accessKey: 'not-a-real-key' }), topic, group, out);
  await assertStoppedBeforeConsuming(unknownKey, 'ERR_S3_CONFIG', /S3 refused access to bucket .*InvalidAccessKeyId.*check \[s3\] access_key_id and secret_key_id/, topic, group, out);
  const wrongSecret = await transfer(bucket, await writeS3Config(work, { secretKey: 'not-the-secret' }), topic, group, out);
  await assertStoppedBeforeConsuming(wrongSecret, 'ERR_S3_CONFIG', /SignatureDoesNotMatch/, topic, group, out);

  const ok = await transfer(bucket, good, topic, group, out);
  assertExit(ok, 0);
  assert.match(ok.stdout, /1 files processed, 0 failed/);
  await assertBucketMatches(s3Client, bucket, topic, new Map([['config.dat', data]]));
});
