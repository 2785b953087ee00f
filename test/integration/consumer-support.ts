// Helpers for consumer integration tests against the real local broker (127.0.0.1:9092).
import { spawn } from 'node:child_process';
import { randomUUID, createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Admin, Producer } from 'kafkajs';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { createTopic as createKafkaTopic } from '../../lib/kafka/create-topic.js';
import type { RawRecord } from '../../bench/faults/kafka-fixtures.js';

export const BROKER = '127.0.0.1:9092';
export { silent } from '../support/silent-logger.js';
export const kafka = createKafka({ brokers: [BROKER], clientId: 'consumer-tests' });
const root = new URL('../../', import.meta.url).pathname;

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function sha512Hex(data: Buffer): string {
  return createHash('sha512').update(data).digest('hex');
}

/** Deterministic pseudo-random bytes. */
export function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(topic: string, partitions: number): Promise<void> {
  await withAdmin((admin) => createKafkaTopic(admin, { topic, numPartitions: partitions }));
}

// The fault matrix cuts files and builds records the same way.
export { chunksOf, recordOf } from '../../bench/faults/test-files.js';
export type { RawRecord } from '../../bench/faults/kafka-fixtures.js';

export async function produce(topic: string, records: RawRecord[]): Promise<void> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const r of records) {
      await producer.send({ topic, messages: [{ key: r.key, value: r.value, ...(r.partition !== undefined && { partition: r.partition }) }] });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Committed offsets of a group, and the end offsets of the topic, per partition. */
export async function offsets(topic: string, group: string): Promise<{ committed: Map<number, bigint>; end: Map<number, bigint> }> {
  return withAdmin(async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return {
      end: new Map(ends.map((e) => [e.partition, BigInt(e.high)])),
      committed: new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)])),
    };
  });
}

export async function assertCommittedToEnd(topic: string, group: string, label = ''): Promise<void> {
  const { committed, end } = await offsets(topic, group);
  for (const [partition, high] of end) {
    const at = committed.get(partition) ?? -1n;
    if (high > 0n && at !== high) throw new Error(`${label}partition ${partition}: committed ${at}, end ${high}`);
  }
}

/** Every regular file under `dir` (posix relative paths), skipping LOGS/ and staging. */
export async function treeHashes(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const rel = relative(dir, full).split(sep).join('/');
    if (rel.startsWith('LOGS/') || rel.startsWith('.datafile-stream-staging/')) continue;
    out.set(rel, sha512Hex(await readFile(full)));
  }
  return out;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI through tsx (no build needed). `onSpawn` may write to stdin or kill it. */
export function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number; onSpawn?: (child: ReturnType<typeof spawn>) => void } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/datafile-stream.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    options.onSpawn?.(child);
  });
}

