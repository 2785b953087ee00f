/**
 * Shared plumbing for the interoperability tests against the real Python `openmsistream`
 * (.venv: 1.8.8, .venv-legacy: 1.8.6, both made by scripts/python-env.sh) on the local broker
 * at 127.0.0.1:9092.
 *
 * - `Program`: one child process (an OpenMSIStream entry point or our CLI) with its output
 *   captured; OpenMSIStream's long-running programs are stopped by typing `q` on their stdin.
 * - `Scope`: what one test started (programs, temp dirs, topics), torn down in `t.after`.
 * - trees of test files with their SHA-512 manifest, tree hashing, polling, topic admin and a
 *   raw kafkajs read of a topic's records.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { createTopic } from '../../lib/kafka/create-topic.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BOOTSTRAP = '127.0.0.1:9092';
/** OpenMSIStream's shipped `local_broker_test.config`, verbatim (LZ4, `$LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS`). */
export const SHIPPED_CONFIG = join(ROOT, 'fixtures/openmsistream-configs/local_broker_test.config');
/** The chunk size most tests pass (small, so small files span many chunks and partitions). */
export const CHUNK_SIZE = 16384;
/** OpenMSIStream's (and our) default chunk size. */
export const DEFAULT_CHUNK_SIZE = 524288;
const CLI = join(ROOT, 'bin/datafile-stream.ts');
export const SHA_RECORDER_TS = join(ROOT, 'test/interop/fixtures/sha-recorder.ts');
export const SHA_RECORDER_PY = join(ROOT, 'scripts/interop/sha_recorder.py');

/** Environment for every child: the variable the shipped config names, unbuffered UTF-8 Python. */
export const CHILD_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS: BOOTSTRAP,
  PYTHONUNBUFFERED: '1',
  PYTHONIOENCODING: 'utf-8',
};

export type Venv = 'main' | 'legacy';

export function venvBin(program: string, venv: Venv = 'main'): string {
  const path = join(ROOT, venv === 'main' ? '.venv' : '.venv-legacy', 'bin', program);
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/python-env.sh all`);
  return path;
}

// ---------------------------------------------------------------------------------------------
// processes

const OUTPUT_LIMIT = 2_000_000;

export class Program {
  readonly name: string;
  readonly child: ChildProcess;
  output = '';
  exitCode: number | null | undefined = undefined;
  readonly exited: Promise<number | null>;

  constructor(name: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.name = name;
    this.child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? CHILD_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => {
      if (this.output.length < OUTPUT_LIMIT) this.output += chunk.toString('utf8');
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.child.stdin!.on('error', () => undefined); // EPIPE when the program already quit
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.output += `\n[spawn error] ${err.message}\n`;
        this.exitCode = null;
        resolve(null);
      });
      this.child.on('close', (code, signal) => {
        this.exitCode = code;
        if (signal) this.output += `\n[killed by ${signal}]\n`;
        resolve(code);
      });
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** OpenMSIStream's (and our) control command: `q` + Enter stops gracefully. */
  quit(): void {
    if (this.running && this.child.stdin!.writable) this.child.stdin!.write('q\n');
  }

  tail(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  /** Waits for the exit and returns the code; on timeout the process is killed and this throws. */
  async waitExit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.kill();
      throw new Error(`${this.name} did not exit within ${timeoutMs / 1000} s; output:\n${this.tail()}`);
    }
    return result;
  }

  /** Waits for exit code 0 (throws with the output otherwise). */
  async succeeds(timeoutMs: number): Promise<void> {
    const code = await this.waitExit(timeoutMs);
    if (code !== 0) throw new Error(`${this.name} exited with ${code}; output:\n${this.tail()}`);
  }

  /** Types `q`, waits for a clean exit (OpenMSIStream flushes its producers / closes consumers). */
  async quitAndWait(timeoutMs = 60_000): Promise<void> {
    this.quit();
    await this.succeeds(timeoutMs);
  }

  kill(): void {
    if (this.running && this.child.pid !== undefined) this.child.kill('SIGKILL');
  }
}

/** What one test started; everything is stopped and removed in `t.after`. */
export class Scope {
  readonly programs: Program[] = [];
  readonly dirs: string[] = [];
  readonly topics: string[] = [];

  constructor(t: TestContext) {
    t.after(() => this.close());
  }

  /** An OpenMSIStream entry point (`UploadDataFile`, `DataFileDownloadDirectory`, ...) or a venv script. */
  python(program: string, args: string[], venv: Venv = 'main', env: NodeJS.ProcessEnv = CHILD_ENV): Program {
    const p = program.endsWith('.py')
      ? new Program(`python ${program}`, venvBin('python', venv), [program, ...args], { env })
      : new Program(`${program} (${venv})`, venvBin(program, venv), args, { env });
    this.programs.push(p);
    return p;
  }

  /** Our CLI: `datafile-stream <args...>`, run through tsx from the repository root. */
  ours(args: string[], env: NodeJS.ProcessEnv = CHILD_ENV): Program {
    const p = new Program(`datafile-stream ${args[0]}`, process.execPath, ['--import', 'tsx', CLI, ...args], { env });
    this.programs.push(p);
    return p;
  }

  async tempDir(label: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `dfs-interop-${label}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** A fresh topic with `partitions` partitions (so OpenMSIStream spreads a file's chunks). */
  async topic(label: string, partitions = 3): Promise<string> {
    const name = `interop-${label}-${Date.now()}-${randomBytes(3).toString('hex')}`;
    this.topics.push(name);
    await withAdmin(async (admin) => {
      await createTopic(admin, { topic: name, numPartitions: partitions });
    });
    return name;
  }

  async close(): Promise<void> {
    for (const p of this.programs) p.kill();
    await Promise.all(this.programs.map((p) => p.exited));
    if (this.topics.length > 0) {
      await withAdmin((admin) => admin.deleteTopics({ topics: this.topics })).catch(() => undefined);
    }
    await Promise.all(this.dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka

export function kafka(): Kafka {
  return createKafka({ brokers: [BOOTSTRAP], clientId: 'datafile-stream-interop-test' });
}

export async function withAdmin<T>(fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Number of records in the topic (sum over partitions of high - low watermark). */
export async function recordCount(topic: string): Promise<number> {
  const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

export interface RawRecord {
  partition: number;
  offset: string;
  key: string;
  value: Buffer;
}

/** Reads `expected` records of a topic with plain kafkajs (fresh group, from the beginning). */
export async function readRecords(topic: string, expected: number, timeoutMs = 60_000): Promise<RawRecord[]> {
  // kafkajs whatever DATAFILE_STREAM_KAFKA_ENGINE says: shared-config's LZ4 check sees only the
  // batches kafkajs's codec decompresses (librdkafka decompresses natively).
  const raw = createKafka({ brokers: [BOOTSTRAP], clientId: 'datafile-stream-interop-test', engine: 'kafkajs' });
  const consumer = raw.consumer({ groupId: `interop-raw-${randomBytes(6).toString('hex')}`, maxBytes: 16 * 1024 * 1024 });
  const records: RawRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${records.length} of ${expected} records of ${topic} within ${timeoutMs / 1000} s`)), timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            records.push({ partition, offset: message.offset, key: message.key?.toString('utf8') ?? '', value: message.value ?? Buffer.alloc(0) });
            if (records.length === expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// files

/** relative path (`/` separators) -> hex SHA-512 */
export type Manifest = Map<string, string>;

export function sha512(data: Buffer): string {
  return createHash('sha512').update(data).digest('hex');
}

/**
 * Text lines with a random tag and a counter: unique per file, but compressible (librdkafka sends
 * a batch uncompressed when compression would not shrink it, as with random bytes).
 */
function compressibleBytes(size: number): Buffer {
  const tag = randomBytes(8).toString('hex');
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const line = `${tag} line ${i} temperature=${(20 + (i % 50) / 10).toFixed(1)} pressure=${1000 + (i % 13)}\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join(''), 'utf8').subarray(0, size);
}

/**
 * Writes `files` (relative path -> size in bytes) under `root`, random bytes or, with
 * `compressible`, text; returns the manifest.
 */
export async function writeTree(root: string, files: Record<string, number>, options: { compressible?: boolean } = {}): Promise<Manifest> {
  const manifest: Manifest = new Map();
  for (const [rel, size] of Object.entries(files)) {
    const data = options.compressible ? compressibleBytes(size) : randomBytes(size);
    const path = join(root, ...rel.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
    manifest.set(rel, sha512(data));
  }
  return manifest;
}

/** Chunks a producer writes for a file of `size` bytes (an empty file: ours 1, OpenMSIStream 0). */
export function chunkCount(size: number, emptyFileChunks: 0 | 1, chunkSize = CHUNK_SIZE): number {
  return size === 0 ? emptyFileChunks : Math.ceil(size / chunkSize);
}

/**
 * Every regular file under `root` with its SHA-512, leaving out what the programs write for
 * themselves: LOGS/, dot-files and dot-directories (our staging), and `*.log` (OpenMSIStream's
 * DataFileDownloadDirectory puts its log file in the output directory itself).
 */
export async function hashTree(root: string): Promise<Manifest> {
  const manifest: Manifest = new Map();
  if (!existsSync(root)) return manifest;
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const rel = relative(root, path).split(sep).join('/');
    const parts = rel.split('/');
    if (parts[0] === 'LOGS' || parts.some((p) => p.startsWith('.')) || rel.endsWith('.log')) continue;
    manifest.set(rel, sha512(await readFile(path)));
  }
  return manifest;
}

/** True when every file of `expected` is present under `root` with its hash (others may exist). */
export async function treeHas(root: string, expected: Manifest): Promise<boolean> {
  for (const [rel, hash] of expected) {
    const path = join(root, ...rel.split('/'));
    if (!existsSync(path)) return false;
    try {
      if (sha512(await readFile(path)) !== hash) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Parses `relpath;sha512` lines; throws on a duplicate path (a file processed twice). */
export async function readShaRecords(path: string): Promise<Manifest> {
  const records: Manifest = new Map();
  if (!existsSync(path)) return records;
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    if (line === '') continue;
    const at = line.lastIndexOf(';');
    const rel = line.slice(0, at);
    if (records.has(rel)) throw new Error(`${path}: ${rel} was recorded twice`);
    records.set(rel, line.slice(at + 1));
  }
  return records;
}

/** Lines recorded so far (duplicates included), for polling. */
export async function countLines(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '').length;
}

export function sorted(manifest: Manifest): [string, string][] {
  return [...manifest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Polls `check` every `intervalMs` until it returns true; throws after `timeoutMs` with `what()`. */
export async function waitFor(what: () => string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The record keys a producer writes for `files` (OpenMSIStream's `{subdir_}_{name}_chunk_{i}_of_{n}`). */
export function expectedKeys(files: Record<string, number>, emptyFileChunks: 0 | 1, chunkSize = CHUNK_SIZE): string[] {
  const keys: string[] = [];
  for (const [rel, size] of Object.entries(files)) {
    const at = rel.lastIndexOf('/');
    const subdir = at < 0 ? '' : rel.slice(0, at);
    const name = rel.slice(at + 1);
    const n = chunkCount(size, emptyFileChunks, chunkSize);
    for (let i = 1; i <= n; i++) keys.push(`${subdir.replaceAll('/', '_')}_${name}_chunk_${i}_of_${n}`);
  }
  return keys.sort();
}

/** Total chunk records for `files`. */
export function totalChunks(files: Record<string, number>, emptyFileChunks: 0 | 1, chunkSize = CHUNK_SIZE): number {
  return Object.values(files).reduce((sum, size) => sum + chunkCount(size, emptyFileChunks, chunkSize), 0);
}

/** Throws (with its output) when a program that should still be running has exited. */
export function assertRunning(...programs: Program[]): void {
  for (const p of programs) {
    if (!p.running) throw new Error(`${p.name} exited early with ${p.exitCode}; output:\n${p.tail()}`);
  }
}

/** msgpack array header of a chunk value: 0x9a = 10 fields (file_mtime), 0x99 = 9 (<= 1.8.6). */
export function fieldCount(value: Buffer): number {
  const first = value[0] ?? 0;
  return (first & 0xf0) === 0x90 ? first & 0x0f : -1;
}
