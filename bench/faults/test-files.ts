/**
 * Test data for the fault scenarios: seeded files of a few chunks each, their chunks as
 * OpenMSIStream would send them, and two layouts on the topic: interleaved (chunks shuffled
 * over every partition, OpenMSIStream's own producer layout) and by file (the toolkit's
 * FilePartitioner: every chunk of a file on one partition).
 */
import { createHash } from 'node:crypto';
import { chunkKey, encodeChunk } from '../../lib/codec/chunk-codec.js';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import type { DataFileChunk } from '../../lib/types.js';
import type { RawRecord } from './kafka-fixtures.js';
import type { SeededRandom } from './seeded-random.js';

export const CHUNK_SIZE = 4096;

export function sha512Hex(data: Buffer): string {
  return createHash('sha512').update(data).digest('hex');
}

export interface FileSpec {
  count: number;
  prefix: string;
  minChunks?: number;
  maxChunks?: number;
  chunkSize?: number;
}

/** `count` files of 1..maxChunks chunks (sizes not multiples of the chunk size, one empty-ish). */
export function makeFiles(rng: SeededRandom, spec: FileSpec): Map<string, Buffer> {
  const chunk = spec.chunkSize ?? CHUNK_SIZE;
  const files = new Map<string, Buffer>();
  for (let i = 0; i < spec.count; i++) {
    const n = rng.int(spec.minChunks ?? 1, spec.maxChunks ?? 8);
    const size = Math.max(1, (n - 1) * chunk + rng.int(1, chunk));
    files.set(`${spec.prefix}/d${i % 4}/file_${String(i).padStart(4, '0')}.dat`, rng.bytes(size));
  }
  return files;
}

/** The chunks OpenMSIStream would send for `data` at `relPath`; `extra` overrides fields. */
export function chunksOf(relPath: string, data: Buffer, chunkSize = CHUNK_SIZE, extra: Partial<DataFileChunk> = {}): DataFileChunk[] {
  const parts = relPath.split('/');
  const filename = parts.pop()!;
  const fileHash = sha512(data);
  const n = Math.max(1, Math.ceil(data.length / chunkSize));
  return Array.from({ length: n }, (_, i) => {
    const piece = data.subarray(i * chunkSize, (i + 1) * chunkSize);
    return {
      filename,
      fileHash,
      chunkHash: sha512(piece),
      chunkOffsetWrite: i * chunkSize,
      chunkI: i + 1,
      nTotalChunks: n,
      subdirStr: parts.join('/'),
      filenameAppend: '',
      data: piece,
      fileMtime: 1700000000,
      ...extra,
    };
  });
}

export function recordOf(chunk: DataFileChunk, partition?: number): RawRecord {
  return { key: chunkKey(chunk), value: encodeChunk(chunk), ...(partition !== undefined && { partition }) };
}

/** Every chunk of every file, shuffled and spread over `partitions` at random. */
export function interleaved(rng: SeededRandom, files: Map<string, Buffer>, partitions: number, chunkSize = CHUNK_SIZE): RawRecord[] {
  const records = [...files].flatMap(([path, data]) => chunksOf(path, data, chunkSize).map((c) => recordOf(c)));
  return rng.shuffle(records).map((r) => ({ ...r, partition: rng.int(0, partitions - 1) }));
}

/** Every chunk of every file, files interleaved, each file on the partition its key hashes to. */
export function byFile(rng: SeededRandom, files: Map<string, Buffer>, chunkSize = CHUNK_SIZE): RawRecord[] {
  const queues = [...files].map(([path, data]) => chunksOf(path, data, chunkSize).map((c) => recordOf(c)));
  const out: RawRecord[] = [];
  // Round-robin over files in a shuffled order: files interleave, chunks of one file stay in order.
  rng.shuffle(queues);
  while (queues.some((q) => q.length > 0)) for (const q of queues) if (q.length > 0) out.push(q.shift()!);
  return out;
}

export function expectedHashes(files: Map<string, Buffer>): Map<string, string> {
  return new Map([...files].map(([path, data]) => [path, sha512Hex(data)]));
}
