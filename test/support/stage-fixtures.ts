/**
 * Shared fixtures for the consumer-stage unit tests (no Kafka): real files' bytes cut into wire
 * chunks, records built by encoding and decoding each chunk the way KafkaSource would, a seeded
 * PRNG for reproducible orders, temp dirs cleaned in `t.after`, and small drivers for streams.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { decodeChunk, encodeChunk } from '../../lib/codec/chunk-codec.js';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import type { ChunkRecord, DataFileChunk, RecordPosition } from '../../lib/types.js';
import type { SourceItem } from '../../lib/pipeline-events.js';

export const silent: Logger = pino({ level: 'silent' });

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** Real data files committed under fixtures/ (CSV from instruments, and a binary golden file). */
export const REAL_FILES = {
  tensileA1: 'demo/tensile/sample_A1.csv', // 5760 bytes
  tensileA2: 'demo/tensile/sample_A2.csv', // 5755 bytes
  thermal: 'demo/thermal/dsc_run_1.csv', // 22823 bytes
  xrd: 'demo/xrd/scan_001.csv', // 40960 bytes: a multiple of 4096 and 1024
  golden: 'golden/files/top_level.dat', // 9192 bytes
} as const;

export async function realFile(name: keyof typeof REAL_FILES): Promise<Buffer> {
  return readFile(join(FIXTURES, REAL_FILES[name]));
}

export interface ChunkSpec {
  subdir?: string;
  filename?: string;
  append?: string;
  mtime?: number | null;
  chunkSize?: number;
  /** Claimed file hash (default: the real SHA-512 of the content). */
  fileHash?: Buffer;
}

/** The wire chunks of `content`, exactly as an uploader cuts them; each one encoded and decoded. */
export function chunksOf(content: Buffer, spec: ChunkSpec = {}): DataFileChunk[] {
  const chunkSize = spec.chunkSize ?? 1000;
  const fileHash = spec.fileHash ?? sha512(content);
  const n = Math.max(1, Math.ceil(content.length / chunkSize));
  return Array.from({ length: n }, (_, k) => {
    const data = Buffer.from(content.subarray(k * chunkSize, (k + 1) * chunkSize));
    const chunk: DataFileChunk = {
      filename: spec.filename ?? 'x.dat',
      fileHash,
      chunkHash: sha512(data),
      chunkOffsetWrite: k * chunkSize,
      chunkI: k + 1,
      nTotalChunks: n,
      subdirStr: spec.subdir ?? '',
      filenameAppend: spec.append ?? '',
      data,
      fileMtime: spec.mtime === undefined ? 1_700_000_000 : spec.mtime,
    };
    return decodeChunk(encodeChunk(chunk));
  });
}

/** Hands out strictly increasing offsets per partition, like a Kafka partition log. */
export class Log {
  #next = new Map<number, number>();
  constructor(readonly topic = 'files') {}

  record(chunk: DataFileChunk, partition = 0): ChunkRecord {
    const offset = this.#next.get(partition) ?? 0;
    this.#next.set(partition, offset + 1);
    return { topic: this.topic, partition, offset: String(offset), chunk, valueBytes: chunk.data.length + 200 };
  }

  item(chunk: DataFileChunk, partition = 0): SourceItem {
    return { kind: 'chunk', record: this.record(chunk, partition) };
  }

  position(partition = 0): RecordPosition {
    const offset = this.#next.get(partition) ?? 0;
    this.#next.set(partition, offset + 1);
    return { topic: this.topic, partition, offset: String(offset) };
  }
}

export function posKey(p: RecordPosition): string {
  return `${p.topic}/${p.partition}@${p.offset}`;
}

/** Deterministic PRNG (mulberry32) so random orders are reproducible from the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Random interleaving of several sequences, each keeping its own order. */
export function interleave<T>(sequences: readonly (readonly T[])[], random: () => number): T[] {
  const queues = sequences.map((s) => [...s]);
  const out: T[] = [];
  for (;;) {
    const live = queues.filter((q) => q.length > 0);
    if (live.length === 0) return out;
    out.push(live[Math.floor(random() * live.length)]!.shift()!);
  }
}

/** A temp dir removed after the test. */
export async function tempDir(t: { after: (fn: () => Promise<void>) => void }, prefix = 'dfs-stage-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `items` through `stages` with `pipeline` and returns everything the last stage emitted. */
export async function run<T = unknown>(items: Iterable<unknown> | AsyncIterable<unknown>, ...stages: Duplex[]): Promise<T[]> {
  const out: T[] = [];
  const collect = new Writable({
    objectMode: true,
    write(item: T, _enc, cb) {
      out.push(item);
      cb();
    },
  });
  await pipeline(Readable.from(items as Iterable<unknown>), ...(stages as [Duplex]), collect);
  return out;
}

/**
 * Writes `items` into `stage` one at a time, each write awaited (its callback fires once the stage
 * handled it), with everything the stage emits collected. `between(i)` runs after item i.
 */
export async function drive<T = unknown>(stage: Duplex, items: readonly unknown[], between?: (i: number, out: T[]) => void | Promise<void>): Promise<T[]> {
  const out: T[] = [];
  stage.on('data', (x: T) => out.push(x));
  for (let i = 0; i < items.length; i++) {
    await new Promise<void>((resolve, reject) => stage.write(items[i], (err) => (err ? reject(err) : resolve())));
    await between?.(i, out);
  }
  await new Promise<void>((resolve, reject) => {
    stage.once('error', reject);
    stage.once('end', resolve);
    stage.end();
  });
  return out;
}

/** Records every lifecycle event of a stream, in order, from now on. */
export function recordEvents(stream: Duplex | Writable, names = ['data', 'end', 'finish', 'error', 'close']): string[] {
  const seen: string[] = [];
  for (const name of names) stream.on(name, () => seen.push(name));
  return seen;
}

export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
