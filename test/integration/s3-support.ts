/**
 * Shared by the s3-* integration tests (not a test file itself): the real MinIO on loopback
 * (started through scripts/s3-server.ts when it is not running), config files with [broker] and
 * [s3], bucket and object helpers, the consumer registry as rows, and peak-RSS sampling of a
 * child process.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AbortMultipartUploadCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_S3_PORT, S3_HOST, S3_TEST_ACCESS_KEY, S3_TEST_REGION, S3_TEST_SECRET_KEY, startS3Server, stopS3Server } from '../../scripts/s3-server.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BROKER = '127.0.0.1:9092';
export const S3_PORT = DEFAULT_S3_PORT;
// Future AWS SDK releases will need Node 22; the pinned one supports Node 20 (see s3-transfer.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function s3Endpoint(port = S3_PORT): string {
  return `http://${S3_HOST}:${port}`;
}

const serverLog = (line: string): void => void process.stderr.write(`# [s3-server] ${line}\n`);

/**
 * Starts the test MinIO unless it already answers (builds it the first time). Returns the
 * `after` hook's job: stop it again when this file started it (KEEP_S3=1 keeps it running).
 */
export async function ensureS3Server(port = S3_PORT): Promise<() => Promise<void>> {
  const info = await startS3Server({ port, log: serverLog });
  if (info.alreadyRunning || process.env.KEEP_S3) return async () => undefined;
  return async () => void (await stopS3Server({ port, log: serverLog }));
}

export function testS3Client(port = S3_PORT): S3Client {
  return new S3Client({
    endpoint: s3Endpoint(port),
    region: S3_TEST_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: S3_TEST_ACCESS_KEY, secretAccessKey: S3_TEST_SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function uniqueBucket(prefix = 'dfs'): string {
  return `${prefix}-${randomUUID().slice(0, 18)}`;
}

const created = new Set<string>();

/** Creates a bucket, remembered for `removeBuckets`. */
export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  created.add(bucket);
}

/** Deletes every bucket made with `createBucket` on this client's server, objects and all. */
export async function removeBuckets(client: S3Client): Promise<void> {
  for (const bucket of created) {
    try {
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      for (const u of uploads.Uploads ?? []) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
      const keys = [...(await listObjects(client, bucket)).keys()];
      for (let i = 0; i < keys.length; i += 1000) {
        await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
      }
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      created.delete(bucket);
    } catch {
      // a bucket of another server (the outage test's) or already gone
    }
  }
}

export interface ConfigOptions {
  port?: number;
  accessKey?: string;
  secretKey?: string;
  /** Write the secret as `$VAR` (the env var must then be set for the run). */
  secretFromEnv?: string;
}

/** A config file with [broker] (the local broker) and [s3] (the test MinIO). */
export async function writeS3Config(dir: string, options: ConfigOptions = {}): Promise<string> {
  const path = join(dir, `s3-${randomUUID().slice(0, 8)}.config`);
  const secret = options.secretFromEnv ? `$${options.secretFromEnv}` : (options.secretKey ?? S3_TEST_SECRET_KEY);
  await writeFile(
    path,
    [
      '[broker]',
      `bootstrap.servers = ${BROKER}`,
      '',
      '[consumer]',
      'auto.offset.reset = earliest',
      // A run that was killed leaves its group member behind until this expires (the broker's
      // minimum); the next run of the group waits that long for its partitions.
      'session.timeout.ms = 6000',
      'heartbeat.interval.ms = 1000',
      '',
      '[s3]',
      `access_key_id = ${options.accessKey ?? S3_TEST_ACCESS_KEY}`,
      `secret_key_id = ${secret}`,
      `endpoint_url = ${s3Endpoint(options.port)}`,
      `region = ${S3_TEST_REGION}`,
      '',
    ].join('\n'),
  );
  return path;
}

/** Every object under `prefix`: key -> size. */
export async function listObjects(client: S3Client, bucket: string, prefix = ''): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token && { ContinuationToken: token }) }));
    for (const o of page.Contents ?? []) out.set(o.Key!, o.Size ?? -1);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

export async function getObject(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

/** SHA-512 of an object, streamed (for objects too big to compare in memory comfortably). */
export async function objectSha512(client: S3Client, bucket: string, key: string): Promise<{ sha512: Buffer; metadata: Record<string, string>; checksum: string | undefined }> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
  const hash = createHash('sha512');
  for await (const piece of response.Body as AsyncIterable<Uint8Array>) hash.update(piece);
  return { sha512: hash.digest(), metadata: response.Metadata ?? {}, checksum: response.ChecksumSHA256 };
}

export async function pendingMultipartUploads(client: S3Client, bucket: string): Promise<number> {
  const r = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return r.Uploads?.length ?? 0;
}

/** Asserts the bucket holds exactly `<topic>/<path>` for every file, byte for byte. */
export async function assertBucketMatches(client: S3Client, bucket: string, topic: string, files: Map<string, Buffer>): Promise<void> {
  const objects = await listObjects(client, bucket);
  assert.deepEqual([...objects.keys()].sort(), [...files.keys()].map((p) => `${topic}/${p}`).sort(), 'the bucket holds exactly one object per file');
  for (const [path, data] of files) {
    const body = await getObject(client, bucket, `${topic}/${path}`);
    assert.ok(body.equals(data), `${topic}/${path} differs from its source (${body.length} vs ${data.length} bytes)`);
  }
}

/** Writes a tree of files (path -> bytes) under `root`. */
export async function writeTree(root: string, files: Map<string, Buffer>): Promise<void> {
  for (const [path, data] of files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), data);
  }
}

/** Random-ish content: half random bytes, half text, so LZ4 has something to do. */
export function content(size: number): Buffer {
  const out = Buffer.alloc(size);
  randomBytes(Math.ceil(size / 2)).copy(out);
  if (size > 1) out.fill(`file of ${size} bytes `, Math.ceil(size / 2));
  return out;
}

export interface RegistryRow {
  filename: string;
  rel_filepath: string;
  status?: string;
  n_chunks: string;
  [column: string]: string | undefined;
}

/** Rows of a `;`-delimited registry CSV (simple cells only: the tests use plain file names). */
export async function readRegistry(outputDir: string, kind: 'in_progress' | 'processed', topic: string, group: string): Promise<RegistryRow[]> {
  const name = kind === 'in_progress' ? `consuming_from_${topic}_in_progress_by_${group}.csv` : `processed_from_${topic}_by_${group}.csv`;
  const path = join(outputDir, 'LOGS', name);
  if (!existsSync(path)) return [];
  const lines = (await readFile(path, 'utf8')).split(/\r?\n/).filter((l) => l !== '');
  const header = lines[0]!.split(';');
  return lines.slice(1).map((line) => Object.fromEntries(line.split(';').map((cell, i) => [header[i]!, cell.replace(/^"|"$/g, '')])) as RegistryRow);
}

/** Samples a process's peak RSS (VmHWM, which the kernel keeps) until stopped. */
export function sampleRss(pid: number, everyMs = 100): { stop: () => number } {
  let peak = 0;
  const read = (): void => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      // the process has exited
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    stop: () => {
      read();
      clearInterval(timer);
      return peak;
    },
  };
}

export const MiB = 1024 * 1024;

export interface LiveCli {
  pid: number;
  /** JSON log lines on stderr so far, parsed. */
  logs: Array<Record<string, unknown>>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill: (signal?: NodeJS.Signals) => void;
}

/** `datafile-stream <args>` as a child, with every JSON log line handed to `onLog` as it comes. */
export function spawnCli(args: string[], onLog: (line: Record<string, unknown>, cli: LiveCli) => void = () => undefined, timeoutMs = 180_000, env: NodeJS.ProcessEnv = {}): LiveCli {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'datafile-stream.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  const cli: LiveCli = {
    pid: child.pid!,
    logs: [],
    done: undefined as never,
    kill: (signal = 'SIGKILL') => void child.kill(signal),
  };
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        cli.logs.push(parsed);
        onLog(parsed, cli);
      } catch {
        // not a log line
      }
    }
  });
  cli.done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`datafile-stream ${args.join(' ')} did not exit within ${timeoutMs} ms\nstderr:\n${stderr.slice(-5000)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return cli;
}

/** Log lines whose message starts with `prefix`. */
export function messages(logs: Array<Record<string, unknown>>, prefix: string): Array<Record<string, unknown>> {
  return logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix));
}

export function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `datafile-stream <args>` to the end. */
export async function runCli(args: string[], timeoutMs = 180_000): Promise<CliResult> {
  const { code, stdout, stderr } = await spawnCli(args, undefined, timeoutMs).done;
  return { code, stdout, stderr };
}

/** Asserts the exit code, showing the output when it differs. */
export function assertExit(result: CliResult, code: number): void {
  assert.equal(result.code, code, `exit ${result.code}, expected ${code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr.slice(-5000)}`);
}
