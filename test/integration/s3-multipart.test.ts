/**
 * Integration: a file of more than 64 MiB through `s3-transfer` as a multipart upload, in disk
 * mode (read from the reconstructed file as parts go out) and in memory mode, against the real
 * broker and MinIO. The object must hash to the source, carry a composite SHA-256 over the
 * expected number of parts equal to the one computed from the bytes sent, and no multipart
 * upload may be left open.
 *
 * Peak RSS (the kernel's VmHWM of the transfer process) and throughput are printed as test
 * diagnostics, next to the peak RSS of download-directory on the same topic (the consumer alone),
 * and not asserted: most of a whole run's RSS is the consumer's.
 * The memory bound of the upload itself is asserted where it can be seen: a child process
 * uploads a 256 MiB file from disk with no Kafka involved, and its RSS may grow by at most four
 * times (upload_concurrency + 1) x part_size over what a one-part-plus-one-byte upload needed
 * (reading the file whole would add its 256 MiB; streaming adds about 32 MiB here).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { assertExit, content, createBucket, removeBuckets, ROOT, runCli, uniqueTopic, ensureS3Server, messages, MiB, objectSha512, pendingMultipartUploads, sampleRss, spawnCli, testS3Client, uniqueBucket, writeS3Config } from './s3-support.js';

const SIZE = 72 * MiB + 4321;
const PART_MB = 8;
const PARTS = Math.ceil(SIZE / (PART_MB * MiB));

let client: S3Client;
let stopServer: () => Promise<void> = async () => undefined;
let work: string;
let topic: string;
let config: string;
let data: Buffer;
let consumerRss = 0;
let consumerMs = 0;

before(async () => {
  stopServer = await ensureS3Server();
  client = testS3Client();
  work = await mkdtemp(join(tmpdir(), 's3-multipart-it-'));
  config = await writeS3Config(work);
  topic = uniqueTopic('t-s3-big');
  data = content(SIZE);
  await writeFile(join(work, 'big.bin'), data);
  assertExit(await runCli(['upload-file', join(work, 'big.bin'), '--topic_name', topic, '--logger_stream_level', 'warning']), 0);
  // The consumer alone on the same topic, for comparison.
  const started = Date.now();
  const cli = spawnCli(['download-directory', join(work, 'dd'), '--config', config, '--topic_name', topic, '--until_idle', '2', '--logger_stream_level', 'warning']);
  const rss = sampleRss(cli.pid, 50);
  const result = await cli.done;
  consumerRss = rss.stop();
  assert.equal(result.code, 0, result.stderr.slice(-3000));
  consumerMs = Date.now() - started;
});

after(async () => {
  if (client) await removeBuckets(client);
  client?.destroy();
  await stopServer();
  if (work) await rm(work, { recursive: true, force: true });
});

async function transfer(bucket: string, onTopic: string, mode: 'disk' | 'memory'): Promise<{ peakRss: number; logs: Array<Record<string, unknown>>; wallMs: number }> {
  const started = Date.now();
  const cli = spawnCli(['s3-transfer', bucket, '--config', config, '--topic_name', onTopic, '--consumer_group_id', `g-${bucket}`, '--output_dir', join(work, `out-${bucket}`), '--mode', mode, '--part_size', String(PART_MB), '--until_idle', '2']);
  const rss = sampleRss(cli.pid, 50);
  const result = await cli.done;
  const peakRss = rss.stop();
  assert.equal(result.code, 0, result.stderr.slice(-3000));
  assert.match(result.stdout, /1 files processed, 0 failed/);
  return { peakRss, logs: cli.logs, wallMs: Date.now() - started };
}

async function bigFileThrough(mode: 'disk' | 'memory', t: { diagnostic: (m: string) => void }): Promise<number> {
  const bucket = uniqueBucket();
  await createBucket(client, bucket);
  const { peakRss, logs, wallMs } = await transfer(bucket, topic, mode);
  const uploaded = messages(logs, 'uploaded s3://');
  assert.equal(uploaded.length, 1);
  const line = uploaded[0]!;
  assert.equal(line.parts, PARTS);
  assert.equal(line.bytes, SIZE);
  const object = await objectSha512(client, bucket, `${topic}/big.bin`);
  assert.ok(object.sha512.equals(createHash('sha512').update(data).digest()), 'the object is byte-identical to the source');
  assert.equal(object.metadata['file-sha512'], createHash('sha512').update(data).digest('hex'));
  assert.match(object.checksum ?? '', new RegExp(`^[A-Za-z0-9+/]{43}=-${PARTS}$`), 'a composite SHA-256 over the parts');
  assert.equal(object.checksum, line.sha256, 'the server reports the checksum computed from the bytes sent');
  assert.equal(await pendingMultipartUploads(client, bucket), 0, 'no multipart upload left open');
  const uploadMs = Number(line.ms);
  const report = `${mode} mode: ${(SIZE / MiB).toFixed(1)} MiB in ${PARTS} parts of ${PART_MB} MiB; peak RSS ${(peakRss / MiB).toFixed(0)} MiB (download-directory alone: ${(consumerRss / MiB).toFixed(0)} MiB, ${consumerMs} ms); S3 upload ${uploadMs} ms = ${(SIZE / MiB / (uploadMs / 1000)).toFixed(0)} MiB/s; whole run ${wallMs} ms`;
  t.diagnostic(report);
  process.stdout.write(`# s3-multipart: ${report}\n`);
  return peakRss;
}

test(`a ${Math.round(SIZE / MiB)} MiB file in disk mode: multipart from the file on disk`, async (t) => {
  await bigFileThrough('disk', t);
});

test(`a ${Math.round(SIZE / MiB)} MiB file in memory mode: multipart from the buffer`, async (t) => {
  await bigFileThrough('memory', t);
});

test('the upload from disk holds a bounded number of parts, not the file (256 MiB, no Kafka)', async (t) => {
  const HUGE = 256 * MiB;
  const path = join(work, 'huge.bin');
  const hugeData = content(HUGE);
  const hugeHash = createHash('sha512').update(hugeData).digest();
  await writeFile(path, hugeData);
  const bucket = uniqueBucket();
  await createBucket(client, bucket);
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'test', 'integration', 's3-upload-child.ts'), config, bucket, path, String(PART_MB), '2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  const { baseline, peak } = JSON.parse(stdout) as { baseline: number; peak: number };
  const grew = peak - baseline;
  const bound = 4 * (2 + 1) * PART_MB * MiB;
  const report = `uploader alone: 256 MiB from disk, ${PART_MB} MiB parts, 2 in flight: RSS ${(baseline / MiB).toFixed(0)} -> ${(peak / MiB).toFixed(0)} MiB (+${(grew / MiB).toFixed(1)} MiB; bound ${bound / MiB} MiB)`;
  t.diagnostic(report);
  process.stdout.write(`# s3-multipart: ${report}\n`);
  assert.ok(grew < bound, report);
  const object = await objectSha512(client, bucket, `rss-${child.pid}/huge.bin`);
  assert.ok(object.sha512.equals(hugeHash), 'the 256 MiB object is byte-identical');
});
