/**
 * Integration: `datafile-stream s3-transfer` between the real local broker (127.0.0.1:9092)
 * and a real S3-compatible server (MinIO on 127.0.0.1:9310, started here when it is not
 * running; see scripts/s3-server.ts).
 *
 * - a directory uploaded with upload-directory and transferred: one object per file at
 *   <topic>/<subdir>/<filename>, byte-identical, with the server-verified SHA-256 and the file's
 *   SHA-512 on the object; a restart with the same group sends nothing again;
 * - killed mid-run (SIGKILL) and restarted with the same group: every file ends up in the
 *   bucket and none is sent twice;
 * - a key that may list but not write (a proxy refuses the writes): every file `failed` in the
 *   registry, nothing in the bucket; then good credentials with --retry_failed send them, and
 *   the registry says processed; a write-only key passes the start-up check with a warning
 *   (bad credentials, a missing bucket, an unreachable endpoint stop the program at start-up:
 *   s3-startup-check.test.ts);
 * - without Kafka: a missing bucket, a server that is down and a wrong checksum give coded
 *   errors that say so, and the server itself refuses data whose checksum does not match.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3TransferStreamProcessor } from '../../lib/programs/s3-transfer-stream-processor.js';
import { DownloadDataFile } from '../../lib/download-data-file.js';
import { classifyS3Failure } from '../../lib/s3/s3-upload-error.js';
import {
  assertBucketMatches,
  assertExit,
  runCli,
  uniqueTopic,
  content,
  createBucket,
  removeBuckets,
  ensureS3Server,
  getObject,
  listObjects,
  messages,
  MiB,
  readRegistry,
  spawnCli,
  testS3Client,
  uniqueBucket,
  writeS3Config,
  writeTree,
  S3_PORT,
} from './s3-support.js';

const sha512 = (b: Uint8Array): Buffer => createHash('sha512').update(b).digest();
const sha256b64 = (b: Uint8Array): string => createHash('sha256').update(b).digest('base64');

let client: S3Client;
let stopServer: () => Promise<void> = async () => undefined;
let work: string;

before(async () => {
  stopServer = await ensureS3Server();
  client = testS3Client();
  work = await mkdtemp(join(tmpdir(), 's3-transfer-it-'));
});

after(async () => {
  if (client) await removeBuckets(client);
  client?.destroy();
  await stopServer();
  if (work) await rm(work, { recursive: true, force: true });
});

async function uploadDirectory(dir: string, topic: string): Promise<void> {
  assertExit(await runCli(['upload-directory', dir, '--topic_name', topic, '--upload_existing', '--until_idle', '2', '--logger_stream_level', 'warning']), 0);
}

function transferArgs(bucket: string, config: string, topic: string, group: string, outputDir: string, extra: string[] = []): string[] {
  return ['s3-transfer', bucket, '--config', config, '--topic_name', topic, '--consumer_group_id', group, '--output_dir', outputDir, '--until_idle', '2', ...extra];
}

test('a directory uploaded and transferred: every object byte-identical, verified, and a restart sends nothing again', async () => {
  const files = new Map<string, Buffer>([
    ['top.dat', content(300_000)],
    ['empty.dat', Buffer.alloc(0)],
    ['sub/one.bin', content(1_200_000)],
    ['sub/deeper/two words.txt', Buffer.from('hello S3\n')],
    ['sub/deeper/ünï-çødé.dat', content(70_000)],
    // bigger than one 5 MiB part: a multipart upload from memory
    ['big/multi.bin', content(12 * MiB + 123)],
    ...Array.from({ length: 8 }, (_, i) => [`batch/f${i}.dat`, content(10_000 + i * 90_000)] as [string, Buffer]),
  ]);
  const source = join(work, 'tree');
  await writeTree(source, files);
  const topic = uniqueTopic('t-s3');
  await uploadDirectory(source, topic);

  const bucket = uniqueBucket();
  await createBucket(client, bucket);
  const config = await writeS3Config(work);
  const out = join(work, 'out-tree');
  const group = `g-${topic}`;
  const first = await runCli(transferArgs(bucket, config, topic, group, out, ['--part_size', '5']));
  assertExit(first, 0);
  assert.match(first.stdout, new RegExp(`${files.size} files processed, 0 failed`));

  await assertBucketMatches(client, bucket, topic, files);
  for (const [path, data] of files) {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${topic}/${path}`, ChecksumMode: 'ENABLED' }));
    assert.equal(head.Metadata?.['file-sha512'], sha512(data).toString('hex'), `${path}: the object carries its file hash`);
    if (data.length <= 5 * MiB) assert.equal(head.ChecksumSHA256, sha256b64(data), `${path}: the server stored and verified the SHA-256`);
    else assert.match(head.ChecksumSHA256 ?? '', /-3$/, `${path}: a composite checksum over 3 parts`);
  }
  const processed = await readRegistry(out, 'processed', topic, group);
  assert.deepEqual(processed.map((r) => r.rel_filepath).sort(), [...files.keys()].sort());
  for (const row of processed) assert.equal(row.file_hash, sha512(files.get(row.rel_filepath)!).toString('hex'));
  assert.equal((await readRegistry(out, 'in_progress', topic, group)).length, 0, 'nothing left in progress');

  const before = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${topic}/top.dat` }));
  const again = spawnCli(transferArgs(bucket, config, topic, group, out));
  const second = await again.done;
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /0 files processed, 0 failed/);
  assert.equal(messages(again.logs, 'uploaded s3://').length, 0, 'a restart with the same group uploads nothing');
  const afterHead = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${topic}/top.dat` }));
  assert.equal(afterHead.ETag, before.ETag);
  assert.equal(afterHead.LastModified?.getTime(), before.LastModified?.getTime());
});

/**
 * What the interrupted-run tests share: 24 files of about 1.5 MiB under `<dir>/` uploaded to a
 * fresh topic, an empty bucket, the S3 config, an output directory and a group for the topic.
 */
async function interruptedTransfer(dir: string, name: string) {
  const files = new Map<string, Buffer>(Array.from({ length: 24 }, (_, i) => [`${dir}/file-${String(i).padStart(2, '0')}.dat`, content(1_500_000 + i * 1000)] as [string, Buffer]));
  const source = join(work, `${name}-tree`);
  await writeTree(source, files);
  const topic = uniqueTopic(`t-s3-${name}`);
  await uploadDirectory(source, topic);
  const bucket = uniqueBucket();
  await createBucket(client, bucket);
  const config = await writeS3Config(work);
  return { files, topic, bucket, config, out: join(work, `out-${name}`), group: `g-${topic}` };
}

test('killed mid-run and restarted with the same group: everything arrives, nothing is sent twice', async () => {
  const { files, topic, bucket, config, out, group } = await interruptedTransfer('k', 'kill');
  let killedAfter = 0;
  const first = spawnCli(transferArgs(bucket, config, topic, group, out, ['--n_threads', '1']), (line, cli) => {
    if (typeof line.msg === 'string' && line.msg.startsWith('uploaded s3://') && ++killedAfter === 6) cli.kill('SIGKILL');
  });
  const r1 = await first.done;
  assert.equal(r1.signal, 'SIGKILL', `the first run was killed mid-way (it exited ${r1.code})`);
  const sentFirst = messages(first.logs, 'uploaded s3://').map((l) => l.key as string);
  assert.ok(sentFirst.length >= 6 && sentFirst.length < files.size, `killed after ${sentFirst.length} of ${files.size} uploads`);

  const second = spawnCli(transferArgs(bucket, config, topic, group, out));
  const r2 = await second.done;
  assert.equal(r2.code, 0, r2.stderr.slice(-3000));
  const sentSecond = messages(second.logs, 'uploaded s3://').map((l) => l.key as string);
  const all = [...sentFirst, ...sentSecond];
  assert.equal(new Set(all).size, all.length, `no file was uploaded twice: ${all.filter((k, i) => all.indexOf(k) !== i).join(', ')}`);
  const skipped = messages(second.logs, 'already in s3://').map((l) => l.key as string);
  assert.equal(new Set([...all, ...skipped]).size, files.size, 'every file was either uploaded once or found already in the bucket');
  await assertBucketMatches(client, bucket, topic, files);
  const failedRows = (await readRegistry(out, 'in_progress', topic, group)).filter((r) => r.status === 'failed');
  assert.deepEqual(failedRows, []);
});

test('stopped by SIGTERM (as systemctl stop does): exit 143, the final commit covers every file sent, and the restart sends exactly the rest', async () => {
  const { files, topic, bucket, config, out, group } = await interruptedTransfer('s', 'term');
  let seen = 0;
  const first = spawnCli(transferArgs(bucket, config, topic, group, out, ['--n_threads', '1']), (line, cli) => {
    if (typeof line.msg === 'string' && line.msg.startsWith('uploaded s3://') && ++seen === 6) cli.kill('SIGTERM');
  });
  const r1 = await first.done;
  assert.equal(r1.code, 143, `the first run stops gracefully with 128 + SIGTERM (exit ${r1.code ?? r1.signal}): ${r1.stderr.slice(-1500)}`);
  const sentFirst = messages(first.logs, 'uploaded s3://').map((l) => l.key as string);
  assert.ok(sentFirst.length >= 6 && sentFirst.length < files.size, `stopped after ${sentFirst.length} of ${files.size} uploads`);

  const second = spawnCli(transferArgs(bucket, config, topic, group, out));
  const r2 = await second.done;
  assert.equal(r2.code, 0, r2.stderr.slice(-3000));
  const sentSecond = messages(second.logs, 'uploaded s3://').map((l) => l.key as string);
  assert.deepEqual(messages(second.logs, 'already in s3://'), [], 'the final commit covered every file the first run sent: none is even looked at again');
  assert.deepEqual(sentSecond.filter((k) => sentFirst.includes(k)), [], 'no file sent twice');
  assert.equal(sentFirst.length + sentSecond.length, files.size, 'every file sent once');
  await assertBucketMatches(client, bucket, topic, files);
});

/**
 * A loopback HTTP proxy in front of the test MinIO that answers the requests `deny` picks with
 * S3's 403 AccessDenied and forwards the rest unchanged (same Host header, so signatures still
 * verify): a key allowed to list but not to write, or the reverse, without an IAM setup.
 */
async function permissionProxy(t: { after: (fn: () => Promise<void>) => void }, deny: (req: IncomingMessage) => boolean): Promise<number> {
  const server = createHttpServer((req, res) => {
    if (deny(req)) {
      req.resume();
      req.on('end', () => {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied.</Message><RequestId>proxy</RequestId></Error>');
      });
      return;
    }
    // `expect` is not signed; the proxy has already answered 100-continue itself.
    const { expect: _expect, ...headers } = req.headers;
    const upstream = httpRequest({ host: '127.0.0.1', port: S3_PORT, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      pipeline(answer, res).catch(() => undefined);
    });
    pipeline(req, upstream).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections(); // the SDK's keep-alive sockets would hold close() open
        server.close(() => resolve());
      }),
  );
  return (server.address() as { port: number }).port;
}

const isList = (req: IncomingMessage): boolean => req.method === 'GET' && /[?&]list-type=2/.test(req.url ?? '');

test('a key that may list but not write: every upload fails and is recorded `failed`; --retry_failed later sends those files', async (t) => {
  const files = new Map<string, Buffer>([
    ['creds/a.dat', content(200_000)],
    ['creds/sub/b.dat', content(50_000)],
    ['c.dat', content(1000)],
  ]);
  const source = join(work, 'creds-tree');
  await writeTree(source, files);
  const topic = uniqueTopic('t-s3-creds');
  await uploadDirectory(source, topic);
  const bucket = uniqueBucket();
  await createBucket(client, bucket);
  const out = join(work, 'out-creds');
  const group = `g-${topic}`;

  // Lists pass (so the start-up check does), everything else is refused.
  const readOnly = await writeS3Config(work, { port: await permissionProxy(t, (req) => !isList(req)) });
  const bad = spawnCli(transferArgs(bucket, readOnly, topic, group, out, ['--max_attempts', '2']), undefined, 120_000);
  const r1 = await bad.done;
  assert.equal(r1.code, 4, r1.stderr.slice(-3000));
  assert.match(r1.stdout, /0 files processed, 3 failed/);
  const attempts = messages(bad.logs, 'processing attempt');
  assert.ok(attempts.length >= 6, `two attempts per file were made (${attempts.length})`);
  for (const line of attempts) {
    assert.equal(line.code, 'ERR_S3_UPLOAD');
    assert.match(String(line.msg), /S3 refused access to bucket "[^"]+" \(AccessDenied \(HTTP 403\).*check \[s3\] access_key_id and secret_key_id/);
  }
  const rows = await readRegistry(out, 'in_progress', topic, group);
  assert.deepEqual(rows.map((r) => [r.rel_filepath, r.status]).sort(), [...files.keys()].sort().map((p) => [p, 'failed']));
  assert.equal((await listObjects(client, bucket)).size, 0, 'nothing reached the bucket');

  // A plain restart does not resend failed files (their records were settled)...
  const good = await writeS3Config(work);
  const plain = await runCli(transferArgs(bucket, good, topic, group, out));
  assertExit(plain, 0);
  assert.match(plain.stdout, /0 files processed, 0 failed/);
  assert.equal((await listObjects(client, bucket)).size, 0);
  // ...--retry_failed does.
  const retry = spawnCli(transferArgs(bucket, good, topic, group, out, ['--retry_failed']));
  const r3 = await retry.done;
  assert.equal(r3.code, 0, r3.stderr.slice(-3000));
  const retried = messages(retry.logs, 'retried files that failed in earlier runs');
  assert.equal(retried.length, 1);
  assert.equal(retried[0]!.retried, 3);
  assert.equal(retried[0]!.succeeded, 3);
  assert.equal(messages(retry.logs, 'uploaded s3://').length, 3);
  await assertBucketMatches(client, bucket, topic, files);
  assert.deepEqual(await readRegistry(out, 'in_progress', topic, group), [], 'the failed rows are gone');
  assert.deepEqual((await readRegistry(out, 'processed', topic, group)).map((r) => r.rel_filepath).sort(), [...files.keys()].sort());
  const again = await runCli(transferArgs(bucket, good, topic, group, out, ['--retry_failed']));
  assertExit(again, 0);
  assert.match(again.stdout, /0 files processed, 0 failed/);
});

test('a write-only key (listing refused): the start-up check warns and the files are sent', async (t) => {
  const files = new Map<string, Buffer>([['w/one.dat', content(80_000)], ['two.dat', content(3000)]]);
  const source = join(work, 'write-only-tree');
  await writeTree(source, files);
  const topic = uniqueTopic('t-s3-wo');
  await uploadDirectory(source, topic);
  const bucket = uniqueBucket();
  await createBucket(client, bucket);
  const writeOnly = await writeS3Config(work, { port: await permissionProxy(t, isList) });
  const run = spawnCli(transferArgs(bucket, writeOnly, topic, `g-${topic}`, join(work, 'out-write-only')));
  const result = await run.done;
  assert.equal(result.code, 0, result.stderr.slice(-3000));
  assert.match(result.stdout, /2 files processed, 0 failed/);
  const warning = run.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('checking s3://'));
  assert.ok(warning, 'the start-up check says it could not list the bucket');
  assert.match(String(warning.msg), /AccessDenied.*The key may be write-only: going on/);
  await assertBucketMatches(client, bucket, topic, files);
});

/** A processor for direct calls (no Kafka involved). */
async function directProcessor(bucket: string, config: string): Promise<S3TransferStreamProcessor> {
  return new S3TransferStreamProcessor({ bucketName: bucket, config, topicName: 'direct', outputDir: join(work, 'direct'), loggerStreamLevel: 'silent', loggerFileLevel: 'silent' });
}

function fileOf(relativeFilepath: string, data: Buffer): DownloadDataFile {
  const slash = relativeFilepath.lastIndexOf('/');
  return new DownloadDataFile({ relativeFilepath, subdirStr: slash < 0 ? '' : relativeFilepath.slice(0, slash), filename: relativeFilepath.slice(slash + 1), fileHash: sha512(data), nTotalChunks: 1, size: data.length, fileMtime: null, data });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('coded errors without Kafka: missing bucket, server down; an unchanged object is not sent twice', async () => {
  const config = await writeS3Config(work);
  const data = content(4096);

  const missing = await directProcessor(uniqueBucket('missing'), config);
  const noBucket = await missing.processDownloadedDataFile(fileOf('x/y.dat', data));
  missing.close();
  assert.equal((noBucket as { code?: string })?.code, 'ERR_S3_UPLOAD');
  assert.equal((noBucket as { reason?: string }).reason, 'no_such_bucket');
  assert.match(noBucket!.message, /bucket "missing-[^"]+" does not exist at http:\/\/127\.0\.0\.1:\d+; create it/);

  const down = await directProcessor('some-bucket', await writeS3Config(work, { port: await freePort() }));
  const unreachable = await down.processDownloadedDataFile(fileOf('y.dat', data));
  down.close();
  assert.equal((unreachable as { reason?: string })?.reason, 'unreachable');
  assert.match(unreachable!.message, /is unreachable .*ECONNREFUSED.*is the server running/);

  const bucket = uniqueBucket();
  await createBucket(client, bucket);
  const p = await directProcessor(bucket, config);
  assert.equal(await p.processDownloadedDataFile(fileOf('same.dat', data)), undefined);
  const first = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'direct/same.dat' }));
  await new Promise((r) => setTimeout(r, 1100)); // LastModified has 1 s resolution
  assert.equal(await p.processDownloadedDataFile(fileOf('same.dat', data)), undefined);
  const second = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'direct/same.dat' }));
  assert.equal(second.LastModified?.getTime(), first.LastModified?.getTime(), 'the object already held this file: not rewritten');
  const changed = content(4096);
  assert.equal(await p.processDownloadedDataFile(fileOf('same.dat', changed)), undefined);
  assert.ok((await getObject(client, bucket, 'direct/same.dat')).equals(changed), 'new content under the same path replaces the object');
  p.close();
});

test('the server verifies the checksum: data that does not match the SHA-256 sent is refused', async () => {
  const bucket = uniqueBucket();
  await createBucket(client, bucket);
  const body = Buffer.from('the bytes that arrive');
  const err = await client
    .send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: body, ChecksumSHA256: sha256b64(Buffer.from('other bytes')) }))
    .then(() => undefined, (e: unknown) => e);
  assert.ok(err, 'MinIO accepted an object whose x-amz-checksum-sha256 does not match its bytes');
  assert.equal(classifyS3Failure(err).reason, 'checksum', `refused as ${(err as Error).name}`);
  assert.equal((await listObjects(client, bucket)).size, 0);
  const ok = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: body, ChecksumSHA256: sha256b64(body) }));
  assert.equal(ok.ChecksumSHA256, sha256b64(body));
});
