/**
 * Complete files whose hash a later stage is still checking (disk mode verifies chunks by their
 * file's hash, lib/sinks/disk-sink.ts), and the records of them that arrive meanwhile. Such a
 * record is a copy of one of the file's chunks: skipped if the file checks out, but if the file
 * comes back reopened it may be the good copy of a bad chunk, so it waits for the verdict.
 *
 * Memory: the waiting records' values, at most `maxBytes` (64 MiB) in all; a record past that is
 * not held (it is treated as a copy of a finished file, and a later re-delivery is then needed).
 */
import type { ChunkRecord, DataFileChunk } from '../types.js';

export const VERIFYING_MAX_BYTES = 64 * 1024 * 1024;

export class VerifyingFiles {
  readonly #files = new Map<string, ChunkRecord[]>();
  #bytes = 0;

  constructor(readonly maxBytes = VERIFYING_MAX_BYTES) {}

  /** The file `key` with `fileHash` is complete and being checked. */
  start(key: string, fileHash: Buffer): void {
    this.#files.set(idOf(key, fileHash), []);
  }

  /** Keeps `record` if its file is being checked; false when it is not (or there is no room). */
  hold(record: ChunkRecord): boolean {
    if (this.#files.size === 0) return false;
    const waiting = this.#files.get(idOf(uploadPath(record.chunk), record.chunk.fileHash));
    if (!waiting || this.#bytes + record.chunk.data.length > this.maxBytes) return false;
    waiting.push(record);
    this.#bytes += record.chunk.data.length;
    return true;
  }

  /** The verdict on the file came: the records that waited for it, in arrival order. */
  end(key: string, fileHash: Buffer): ChunkRecord[] {
    const id = idOf(key, fileHash);
    const waiting = this.#files.get(id) ?? [];
    this.#files.delete(id);
    for (const r of waiting) this.#bytes -= r.chunk.data.length;
    return waiting;
  }
}

function idOf(key: string, fileHash: Uint8Array): string {
  return `${key}\0${Buffer.from(fileHash.buffer, fileHash.byteOffset, fileHash.byteLength).toString('hex')}`;
}

/** The path a chunk names as uploaded (the assembly table's key for any path it accepts). */
function uploadPath(chunk: DataFileChunk): string {
  return chunk.subdirStr === '' ? chunk.filename : `${chunk.subdirStr}/${chunk.filename}`;
}
