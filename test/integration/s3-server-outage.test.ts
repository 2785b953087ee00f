/**
 * Integration: the S3 server dies in the middle of a transfer and comes back. A MinIO of its own
 * (127.0.0.1:9312, data in a temp dir) is killed with SIGKILL right after the first object
 * arrived, and restarted on the same data a few seconds later. The transfer retries with backoff
 * and finishes: every file is in the bucket exactly once and byte-identical to its source, no
 * other object exists, nothing is recorded failed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { startS3Server, stopS3Server } from '../../scripts/s3-server.js';
import { assertBucketMatches, assertExit, runCli, uniqueTopic, content, createBucket, messages, MiB, pendingMultipartUploads, readRegistry, spawnCli, testS3Client, uniqueBucket, writeS3Config, writeTree } from './s3-support.js';

const PORT = 9312;
const log = (line: string): void => void process.stderr.write(`# [s3-server] ${line}\n`);
let work: string;
let dataDir: string;
let client: S3Client;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 's3-outage-it-'));
  dataDir = join(work, 'minio-data');
  await stopS3Server({ port: PORT, log }); // a leftover from an interrupted run
  await startS3Server({ port: PORT, dataDir, log });
  client = testS3Client(PORT);
});

after(async () => {
  client?.destroy();
  await stopS3Server({ port: PORT, log });
  if (work) await rm(work, { recursive: true, force: true });
});

test('S3 server killed mid-run and back: nothing lost, no wrong or extra objects, nothing failed', async (t) => {
  const files = new Map<string, Buffer>([
    ...Array.from({ length: 16 }, (_, i) => [`o/f-${String(i).padStart(2, '0')}.dat`, content(1_000_000 + i * 7919)] as [string, Buffer]),
    ['o/multi.bin', content(12 * MiB + 1)],
  ]);
  const source = join(work, 'tree');
  await writeTree(source, files);
  const topic = uniqueTopic('t-s3-outage');
  assertExit(await runCli(['upload-directory', source, '--topic_name', topic, '--upload_existing', '--until_idle', '2', '--logger_stream_level', 'warning']), 0);
  const bucket = uniqueBucket();
  await createBucket(client, bucket);
  const config = await writeS3Config(work, { port: PORT });
  const out = join(work, 'out');
  const group = `g-${topic}`;

  let outage: Promise<void> | undefined;
  const cli = spawnCli(
    ['s3-transfer', bucket, '--config', config, '--topic_name', topic, '--consumer_group_id', group, '--output_dir', out, '--n_threads', '2', '--part_size', '5', '--max_attempts', '8', '--s3_timeout', '5', '--until_idle', '3'],
    (line) => {
      if (outage || typeof line.msg !== 'string' || !line.msg.startsWith('uploaded s3://')) return;
      outage = (async () => {
        await stopS3Server({ port: PORT, signal: 'SIGKILL', log });
        await new Promise((r) => setTimeout(r, 4000));
        await startS3Server({ port: PORT, dataDir, log });
      })();
    },
  );
  const result = await cli.done;
  assert.ok(outage, 'the server was stopped during the run');
  await outage;
  assert.equal(result.code, 0, result.stderr.slice(-3000));
  assert.match(result.stdout, new RegExp(`${files.size} files processed, 0 failed`));

  const failedAttempts = messages(cli.logs, 'processing attempt');
  assert.ok(failedAttempts.length > 0, 'some attempts failed while the server was down');
  assert.ok(failedAttempts.every((l) => l.code === 'ERR_S3_UPLOAD'));
  assert.ok(failedAttempts.some((l) => /is unreachable|stopped answering/.test(String(l.msg))), 'the failures say the server could not be reached');
  await assertBucketMatches(client, bucket, topic, files);
  assert.deepEqual((await readRegistry(out, 'in_progress', topic, group)).filter((r) => r.status === 'failed'), []);
  const keys = messages(cli.logs, 'uploaded s3://').map((l) => l.key);
  assert.equal(new Set(keys).size, keys.length, 'no file was uploaded twice');
  // An upload the server stored just before it died (its answer lost) is found by the retry.
  const found = messages(cli.logs, 'already in s3://').map((l) => l.key);
  assert.equal(new Set([...keys, ...found]).size, files.size, 'every file was uploaded or found in the bucket');
  const open = await pendingMultipartUploads(client, bucket);
  t.diagnostic(`${failedAttempts.length} attempts failed during the outage; ${open} interrupted multipart upload(s) left for the server to expire`);
});
