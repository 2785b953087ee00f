/**
 * The bookkeeping of one generation of one file being reassembled: which chunks arrived, where
 * they go, and which Kafka records they came in. No chunk bytes are held: the sinks hold data,
 * this only knows offsets and lengths, so its memory is O(chunks received), never O(file size).
 *
 * `FileState` is the read-only face handed to callers; `FileGeneration` adds the two mutations
 * the AssemblyTable performs. `check()` judges a chunk against what this generation has seen:
 *
 * - Chunks are deduplicated by `chunk_offset_write` (SPEC §3). A chunk at a known offset is a
 *   duplicate only if it also has the same `chunk_i` and length; otherwise it is inconsistent.
 * - Each `chunk_i` has one offset. Ranges must not overlap in `chunk_i` order: chunk k must end
 *   at or before chunk k+1 starts. Only the neighbours k-1 and k+1 are compared, which keeps a
 *   check O(1); since every adjacent pair is compared when the later of the two arrives, a
 *   complete generation (all of 1..n present) is guaranteed to be overlap-free. An overlap
 *   between chunks that are not yet adjacent is caught when a chunk between them arrives (one
 *   of those must then conflict). Gaps are not judged here; the file hash judges the result.
 */
import type { DataFileChunk, FileIdentity, RecordPosition } from '../types.js';

/** A generation as callers see it: the file's identity (lib/types.ts) and what has arrived of it. */
export interface FileState extends Readonly<FileIdentity> {
  readonly subdirParts: readonly string[];
  /** The reconstructed base name (`filename` with `filename_append` applied). */
  readonly outputFilename: string;
  readonly fileHashHex: string;
  /** Distinct chunk offsets received. */
  readonly receivedChunks: number;
  /** Sum of the lengths of the distinct chunks received. */
  readonly receivedBytes: number;
  /** Largest end offset seen so far; the file's size once complete. */
  readonly size: number;
  /** True once `receivedChunks === nTotalChunks`. */
  readonly complete: boolean;
  /**
   * Every record this generation holds: the ones whose chunk was accepted and the ones that
   * were duplicates of them. They are settled when the generation leaves the table (finished,
   * abandoned, or replaced by a newer one). Plain copies, never the records themselves.
   */
  readonly positions: readonly RecordPosition[];
  /** `now` of the first and of the latest record that this generation took. */
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  hasOffset(offset: number): boolean;
  /** The distinct offsets received, in arrival order. */
  chunkOffsets(): IterableIterator<number>;
}

/** Where a generation's file goes, as lib/paths/safe-path.ts resolved it. */
export interface ResolvedPath {
  relativePath: string;
  subdirParts: readonly string[];
  /** The reconstructed base name. */
  filename: string;
}

export type ChunkCheck = { verdict: 'new' } | { verdict: 'duplicate' } | { verdict: 'inconsistent'; reason: string };

/** Where one chunk of a file lies. */
export interface ChunkSlot {
  chunkI: number;
  offset: number;
  length: number;
}

export class FileGeneration implements FileState {
  readonly key: string;
  readonly relativePath: string;
  readonly subdirStr: string;
  readonly subdirParts: readonly string[];
  readonly filename: string;
  readonly outputFilename: string;
  readonly filenameAppend: string;
  readonly fileHash: Buffer;
  readonly fileHashHex: string;
  readonly nTotalChunks: number;
  readonly fileMtime: number | null;
  readonly firstSeenAt: number;
  #lastSeenAt: number;
  #byOffset = new Map<number, ChunkSlot>();
  #byIndex = new Map<number, ChunkSlot>();
  #positions: RecordPosition[] = [];
  #receivedBytes = 0;
  #size = 0;

  constructor(key: string, path: ResolvedPath, chunk: DataFileChunk, fileHashHex: string, now: number) {
    this.key = key;
    this.relativePath = path.relativePath;
    this.subdirParts = Object.freeze([...path.subdirParts]);
    this.outputFilename = path.filename;
    this.subdirStr = chunk.subdirStr;
    this.filename = chunk.filename;
    this.filenameAppend = chunk.filenameAppend;
    this.fileHash = Buffer.from(chunk.fileHash);
    this.fileHashHex = fileHashHex;
    this.nTotalChunks = chunk.nTotalChunks;
    this.fileMtime = knownMtime(chunk.fileMtime);
    this.firstSeenAt = now;
    this.#lastSeenAt = now;
  }

  get receivedChunks(): number {
    return this.#byOffset.size;
  }

  get receivedBytes(): number {
    return this.#receivedBytes;
  }

  get size(): number {
    return this.#size;
  }

  get complete(): boolean {
    return this.#byOffset.size === this.nTotalChunks;
  }

  get positions(): readonly RecordPosition[] {
    return this.#positions;
  }

  get lastSeenAt(): number {
    return this.#lastSeenAt;
  }

  hasOffset(offset: number): boolean {
    return this.#byOffset.has(offset);
  }

  chunkOffsets(): IterableIterator<number> {
    return this.#byOffset.keys();
  }

  /** Judges a chunk that carries this generation's file hash. Changes nothing. */
  check(chunk: DataFileChunk): ChunkCheck {
    if (chunk.nTotalChunks !== this.nTotalChunks) {
      return inconsistent(`n_total_chunks ${chunk.nTotalChunks} differs from ${this.nTotalChunks} of this file`);
    }
    if (chunk.filenameAppend !== this.filenameAppend) {
      return inconsistent(`filename_append ${JSON.stringify(chunk.filenameAppend)} differs from ${JSON.stringify(this.filenameAppend)}`);
    }
    const length = chunk.data.length;
    const start = chunk.chunkOffsetWrite;
    const atOffset = this.#byOffset.get(start);
    if (atOffset) {
      if (atOffset.chunkI === chunk.chunkI && atOffset.length === length) return { verdict: 'duplicate' };
      return inconsistent(`chunk ${chunk.chunkI} (${length} bytes) at offset ${start} conflicts with chunk ${atOffset.chunkI} (${atOffset.length} bytes) there`);
    }
    const sameIndex = this.#byIndex.get(chunk.chunkI);
    if (sameIndex) {
      return inconsistent(`chunk ${chunk.chunkI} at offset ${start} was already received at offset ${sameIndex.offset}`);
    }
    const before = this.#byIndex.get(chunk.chunkI - 1);
    if (before && before.offset + before.length > start) {
      return inconsistent(`chunk ${chunk.chunkI} at offset ${start} overlaps chunk ${before.chunkI} [${before.offset}, ${before.offset + before.length})`);
    }
    const after = this.#byIndex.get(chunk.chunkI + 1);
    if (after && start + length > after.offset) {
      return inconsistent(`chunk ${chunk.chunkI} [${start}, ${start + length}) overlaps chunk ${after.chunkI} at offset ${after.offset}`);
    }
    return { verdict: 'new' };
  }

  /** Records a chunk that `check()` called new. */
  addChunk(chunk: DataFileChunk): void {
    this.addSlot({ chunkI: chunk.chunkI, offset: chunk.chunkOffsetWrite, length: chunk.data.length });
  }

  /** Records a chunk by where it lies (a generation put back by `AssemblyTable.reopen`). */
  addSlot(slot: ChunkSlot): void {
    this.#byOffset.set(slot.offset, slot);
    this.#byIndex.set(slot.chunkI, slot);
    this.#receivedBytes += slot.length;
    this.#size = Math.max(this.#size, slot.offset + slot.length);
  }

  /** Takes ownership of a record (accepted or duplicate) until this generation leaves the table. */
  hold(position: RecordPosition, now: number): void {
    this.#positions.push(position);
    this.#lastSeenAt = Math.max(this.#lastSeenAt, now);
  }
}

/** `file_mtime` as a comparable number, or null when unknown (SPEC §2: `<= 0` means unknown). */
export function knownMtime(mtime: number | null | undefined): number | null {
  return typeof mtime === 'number' && Number.isFinite(mtime) && mtime > 0 ? mtime : null;
}

function inconsistent(reason: string): ChunkCheck {
  return { verdict: 'inconsistent', reason };
}
