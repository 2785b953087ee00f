/**
 * Shared by the upload-* integration tests (not a test file itself): run the CLI as a child
 * process, read a whole topic back from the real broker with a raw kafkajs consumer, rebuild
 * files from the decoded chunks without the download side, and see which record keys arrived in
 * LZ4-compressed batches.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { decodeChunk } from '../../lib/codec/chunk-codec.js';
import { registerCodecs } from '../../lib/kafka/compression.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import type { DataFileChunk } from '../../lib/types.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BROKER = '127.0.0.1:9092';

/** A fresh topic name, deleted from the broker once the test is over. */
export function uniqueTopic(t: { after: (fn: () => Promise<void>) => void }, prefix = 't-upload'): string {
  const topic = `${prefix}-${randomUUID()}`;
  t.after(async () => {
    const admin = createKafka({ brokers: [BROKER] }).admin();
    await admin.connect();
    try {
      if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  });
  return topic;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /**
   * Run without the capabilities that let root read any file (setpriv drops CAP_DAC_OVERRIDE and
   * CAP_DAC_READ_SEARCH), so a chmod 000 file is really unreadable even for root.
   */
  withoutReadOverride?: boolean;
  timeoutMs?: number;
}

export interface RunningCli {
  /** Resolves with the first stderr line matching `pattern`. */
  waitForLine(pattern: RegExp): Promise<string>;
  done: Promise<CliResult>;
  kill(signal?: NodeJS.Signals): void;
}

/** `datafile-stream <args>` through tsx, stdin closed, output captured. */
export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const node = [process.execPath, '--import', 'tsx', join(ROOT, 'bin', 'datafile-stream.ts'), ...args];
  const command = options.withoutReadOverride ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', ...node] : node;
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    for (const w of [...watchers]) {
      const line = stderr.split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`datafile-stream ${args.join(' ')} did not exit within ${timeoutMs} ms\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return {
    waitForLine: (pattern) =>
      new Promise((resolve, reject) => {
        const line = stderr.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) return resolve(line);
        watchers.push({ pattern, resolve });
        done.then(() => reject(new Error(`exited before printing ${pattern}\nstderr:\n${stderr}`)), reject);
      }),
    done,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Asserts exit 0, showing the output when it is not. */
export function assertExit(result: CliResult, code: number): void {
  assert.equal(result.code, code, `exit ${result.code}, expected ${code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

/** Parses the JSON log lines on stderr (non-JSON lines are skipped). */
export function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface TopicRecord {
  partition: number;
  offset: bigint;
  key: string;
  value: Buffer;
  chunk: DataFileChunk;
}

export interface TopicContents {
  records: TopicRecord[];
  /** Keys of the records found inside LZ4-compressed batches while reading. */
  lz4Keys: Set<string>;
}

let lz4Sink: Set<string> | undefined;
let lz4Wrapped = false;

/**
 * Wraps the registered LZ4 codec so every batch kafkajs decompresses is checked for the LZ4
 * frame magic and the keys of its records are noted: a key seen here arrived LZ4-compressed.
 * (kafkajs does not expose a batch's compression attribute to consumers.)
 */
function trackLz4(): void {
  if (lz4Wrapped) return;
  lz4Wrapped = true;
  registerCodecs();
  type Codec = { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
  const table = CompressionCodecs as Record<number, () => Codec>;
  const inner = table[CompressionTypes.LZ4]!();
  table[CompressionTypes.LZ4] = () => ({
    compress: (encoder) => inner.compress(encoder),
    decompress: async (buffer) => {
      const out = await inner.decompress(buffer);
      if (buffer.readUInt32LE(0) === 0x184d2204 && lz4Sink) for (const key of recordKeys(out)) lz4Sink.add(key);
      return out;
    },
  });
}

/** Keys of the records in a decompressed v2 record-batch payload. */
function recordKeys(buffer: Buffer): string[] {
  const keys: string[] = [];
  let at = 0;
  const varint = (): number => {
    let raw = 0;
    let scale = 1;
    for (;;) {
      const byte = buffer[at++]!;
      raw += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) break;
    }
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2; // zigzag
  };
  while (at < buffer.length) {
    const length = varint();
    const end = at + length;
    at += 1; // attributes
    varint(); // timestamp delta
    varint(); // offset delta
    const keyLength = varint();
    if (keyLength >= 0) keys.push(buffer.toString('utf8', at, at + keyLength));
    at = end;
  }
  return keys;
}

/** Total records on a topic (sum over partitions of high - low watermark). */
export async function countRecords(topic: string): Promise<number> {
  const admin = createKafka({ brokers: [BROKER] }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(BigInt(p.high) - BigInt(p.low)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Every record of a topic, read from the beginning with a fresh group; values decoded. */
export async function readTopic(topic: string): Promise<TopicContents> {
  trackLz4();
  // kafkajs whatever DATAFILE_STREAM_KAFKA_ENGINE says: the LZ4 check above sees only batches
  // kafkajs decompresses (librdkafka decompresses natively, so every lz4Keys would be empty).
  const kafka = createKafka({ brokers: [BROKER], engine: 'kafkajs' });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) ends.set(p.partition, BigInt(p.high));
  } finally {
    await admin.disconnect();
  }
  const lz4Keys = new Set<string>();
  const records: TopicRecord[] = [];
  if (ends.size === 0) return { records, lz4Keys };
  lz4Sink = lz4Keys;
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxBytes: 64 * 1024 * 1024, maxBytesPerPartition: 16 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const remaining = new Set(ends.keys());
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${records.length} records of ${topic}, partitions still open: ${[...remaining].join(',')}`)), 60_000);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const offset = BigInt(message.offset);
            if (seen.has(`${partition}:${offset}`)) return;
            seen.add(`${partition}:${offset}`);
            const value = message.value!;
            records.push({ partition, offset, key: message.key!.toString('utf8'), value, chunk: decodeChunk(value) });
            if (offset + 1n >= ends.get(partition)!) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    lz4Sink = undefined;
    await consumer.disconnect();
  }
  records.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  return { records, lz4Keys };
}

export const relPathOf = (chunk: DataFileChunk): string => (chunk.subdirStr === '' ? chunk.filename : `${chunk.subdirStr}/${chunk.filename}`);

/**
 * Rebuilds every file from decoded records. Per path the generation that wins is the one whose
 * record came last on the file's partition; it must be complete (every chunk index, distinct
 * offsets) and hash to its file hash.
 */
export function rebuildFiles(records: TopicRecord[]): Map<string, Buffer> {
  const byPath = new Map<string, TopicRecord[]>();
  for (const r of records) {
    const path = relPathOf(r.chunk);
    byPath.set(path, [...(byPath.get(path) ?? []), r]);
  }
  const files = new Map<string, Buffer>();
  for (const [path, list] of byPath) {
    const last = list[list.length - 1]!;
    const generation = list.filter((r) => r.chunk.fileHash.equals(last.chunk.fileHash));
    const byOffset = new Map<number, DataFileChunk>();
    for (const r of generation) byOffset.set(r.chunk.chunkOffsetWrite, r.chunk);
    const n = last.chunk.nTotalChunks;
    assert.equal(byOffset.size, n, `${path}: ${byOffset.size} distinct chunks of ${n}`);
    const data = Buffer.concat([...byOffset.entries()].sort(([a], [b]) => a - b).map(([, c]) => c.data));
    assert.ok(hashOf(data).equals(last.chunk.fileHash), `${path}: rebuilt bytes match the file hash`);
    files.set(path, data);
  }
  return files;
}

const hashOf = (data: Buffer): Buffer => createHash('sha512').update(data).digest();

/** Every regular file under `root` (relative, `/` separators) with its bytes, skipping `skipTop`. */
export async function readTree(root: string, skipTop: string[] = ['LOGS']): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const rel = relative(root, full).split(sep).join('/');
    if (skipTop.includes(rel.split('/')[0]!) && rel.includes('/')) continue;
    files.set(rel, await readFile(full));
  }
  return files;
}

/** Asserts two path -> bytes maps are equal, naming the first difference. */
export function assertSameTree(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [path, data] of expected) assert.ok(actual.get(path)!.equals(data), `${path} differs (${actual.get(path)!.length} vs ${data.length} bytes)`);
}

/** Asserts that all records of each file sit on one partition. */
export function assertOnePartitionPerFile(records: TopicRecord[]): void {
  const partitionOf = new Map<string, Set<number>>();
  for (const r of records) {
    const path = relPathOf(r.chunk);
    partitionOf.set(path, (partitionOf.get(path) ?? new Set()).add(r.partition));
  }
  for (const [path, partitions] of partitionOf) assert.equal(partitions.size, 1, `${path} is spread over partitions ${[...partitions].join(',')}`);
}
