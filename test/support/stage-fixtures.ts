/**
 * Shared fixtures for the consumer-stage unit tests (no Kafka): real files' bytes cut into wire
 * chunks, records built by encoding and decoding each chunk the way KafkaSource would, a seeded
 * PRNG for reproducible orders, temp dirs cleaned in `t.after`, and small drivers for streams
 * (the general helpers live in their own files beside this one).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { ChunkRecord, DataFileChunk, RecordPosition } from '../../lib/types.js';
import type { SourceItem } from '../../lib/pipeline-events.js';

// The shared helpers have their own files; re-exported so a stage test needs one import.
export { chunksOf, type ChunkSpec } from './chunks-of.js';
export { interleave, prng, shuffle } from './seeded-random.js';
export { silent } from './silent-logger.js';
export { tempDir } from './temp-dir.js';

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
