/**
 * The reassembly state machine of SPEC §3, pure: no streams, no Kafka, no chunk bytes.
 *
 * In: `add(record)` with a decoded, chunk-hash-verified chunk and its record position. Out: one
 * decision per record, telling the caller what to do with the chunk's bytes and with the
 * record's offset. The caller (ChunkAssembler) writes accepted chunks to a sink, hashes a file
 * once `complete`, then calls `finish(key)`; it calls `abandon(key)` for files it gives up on.
 *
 * Identity: a file is its relative path as uploaded, `subdir_str/filename` (the `key`); the
 * `filename_append` only renames the output. A chunk with another file hash for an open key is
 * another generation: it replaces the open one if it has more chunks, or the same count and a
 * newer mtime (both known); otherwise it is stale. The chunk that replaces is kept.
 *
 * Record ownership, for the offset committer (SPEC §4): after `add`, every record is either
 * HELD by exactly one open generation (accepted, or a duplicate of an accepted chunk) and
 * appears in its `positions`, or it is listed in the decision's `settle` and may be settled at
 * once (stale, rejected). Held records are settled when their generation leaves the table:
 * `finish`/`abandon` return it, and a replaced generation comes back in `accepted.replaced`
 * with its positions also listed in `settle` (its data will never be used, and the newer
 * generation's records still hold their partitions back). Nothing is ever settled twice.
 *
 * Bad input never throws: it is a `rejected` decision with a coded error (ERR_UNSAFE_PATH,
 * ERR_CHUNK_INVALID, ERR_LIMIT_*) carrying topic/partition/offset/path, and the table is left
 * unchanged. `add` throws only for a caller bug (a position that is not a Kafka position).
 */
import { AssemblyError, type ErrorCode, UnsafePathError } from '../errors.js';
import { safeRelativePath } from '../paths/safe-path.js';
import type { ChunkRecord, DataFileChunk, FileIdentity, RecordPosition } from '../types.js';
import { type AssemblyTableOptions, validateAssemblyTableOptions } from './assembly-table-options.js';
import { type ChunkSlot, FileGeneration, type FileState, knownMtime } from './file-generation.js';

export type { ChunkSlot, FileState } from './file-generation.js';

interface DecisionBase {
  /** Copy of the record's position. */
  position: RecordPosition;
  /** Positions the caller may settle now (never ones still held by an open generation). */
  settle: readonly RecordPosition[];
}

export interface AcceptedDecision extends DecisionBase {
  kind: 'accepted';
  key: string;
  file: FileState;
  /** A generation was created by this chunk (first chunk of the path, or a replacement). */
  isNewFile: boolean;
  /** The generation this chunk replaced; its sink data must be dropped. */
  replaced?: FileState;
  /** Every chunk is in: hash the file, then call `finish(key)`. */
  complete: boolean;
}

export interface DuplicateDecision extends DecisionBase {
  kind: 'duplicate';
  key: string;
  /** The open generation, which now also holds this record. */
  file: FileState;
}

export interface StaleDecision extends DecisionBase {
  kind: 'stale';
  key: string;
  /** `older-generation`: lost to the open generation; `already-finished`: that generation was finished. */
  reason: 'older-generation' | 'already-finished';
  /** The open generation that won, if any. */
  current?: FileState;
}

export interface RejectedDecision extends DecisionBase {
  kind: 'rejected';
  /** Absent when the path itself is unsafe. */
  key?: string;
  error: AssemblyError | UnsafePathError;
  /**
   * The open generation this chunk claims to belong to (same key and file hash), if any. It is
   * left as it was; the caller may `abandon` it when the rejection means it can never complete
   * (a chunk over a limit, or one contradicting the chunks already received).
   */
  file?: FileState;
}

export type AssemblyDecision = AcceptedDecision | DuplicateDecision | StaleDecision | RejectedDecision;

export interface LeaveOptions {
  /** Skip later chunks of this generation as `already-finished` (finish: true, abandon: false). */
  remember?: boolean;
}

const OFFSET = /^(0|[1-9][0-9]*)$/;

export class AssemblyTable {
  readonly options: Readonly<AssemblyTableOptions>;
  #files = new Map<string, FileGeneration>();
  /** `key \0 fileHashHex` of generations that left the table (finished or superseded), oldest first. */
  #finished = new Map<string, 'finished' | 'superseded'>();

  constructor(options: Partial<AssemblyTableOptions> = {}) {
    this.options = validateAssemblyTableOptions(options);
  }

  get size(): number {
    return this.#files.size;
  }

  get(key: string): FileState | undefined {
    return this.#files.get(key);
  }

  openFiles(): IterableIterator<FileState> {
    return this.#files.values();
  }

  add(record: ChunkRecord, now: number = Date.now()): AssemblyDecision {
    const position = copyPosition(record);
    const { chunk } = record;
    const invalid = describeInvalid(chunk);
    if (invalid) return reject(position, new AssemblyError('ERR_CHUNK_INVALID', invalid, { ...position }));

    let identity;
    try {
      identity = safeRelativePath(chunk.subdirStr, chunk.filename, chunk.filenameAppend);
    } catch (err) {
      if (!(err instanceof UnsafePathError)) throw err;
      const { field, value, reason } = err as unknown as Record<string, unknown>;
      return reject(position, new UnsafePathError(err.code, err.message, { ...position, field, value, reason }));
    }
    const key = identity.subdirParts.length === 0 ? chunk.filename : `${identity.subdirParts.join('/')}/${chunk.filename}`;
    const context = { ...position, path: key };
    const hashHex = Buffer.from(chunk.fileHash.buffer, chunk.fileHash.byteOffset, chunk.fileHash.byteLength).toString('hex');
    const open = this.#files.get(key);
    const limitError = this.#checkLimits(chunk, context);
    if (limitError) return reject(position, limitError, key, open?.fileHashHex === hashHex ? open : undefined);

    const left = this.#finished.get(`${key}\0${hashHex}`);
    if (left) {
      const reason = left === 'superseded' ? 'older-generation' : 'already-finished';
      return { kind: 'stale', key, reason, position, settle: [position], ...current(open) };
    }
    if (open && open.fileHashHex === hashHex) {
      const check = open.check(chunk);
      if (check.verdict === 'inconsistent') {
        return reject(position, new AssemblyError('ERR_CHUNK_INVALID', `${key}: ${check.reason}`, context), key, open);
      }
      open.hold(position, now);
      if (check.verdict === 'duplicate') return { kind: 'duplicate', key, file: open, position, settle: [] };
      open.addChunk(chunk);
      return { kind: 'accepted', key, file: open, isNewFile: false, complete: open.complete, position, settle: [] };
    }
    if (open && !supersedes(chunk, open)) {
      return { kind: 'stale', key, reason: 'older-generation', current: open, position, settle: [position] };
    }
    if (!open && this.#files.size >= this.options.maxOpenFiles) {
      const message = `${key}: ${this.#files.size} files are already being assembled, limit ${this.options.maxOpenFiles}`;
      return reject(position, new AssemblyError('ERR_LIMIT_OPEN_FILES', message, context), key);
    }

    const file = new FileGeneration(key, identity, chunk, hashHex, now);
    file.addChunk(chunk);
    file.hold(position, now);
    this.#files.set(key, file);
    // Late chunks of the replaced generation must not reopen it: it could never complete and
    // would hold its partition. (The price: that exact content re-uploaded later is skipped.)
    if (open) this.#remember(`${key}\0${open.fileHashHex}`, 'superseded');
    const base = { kind: 'accepted', key, file, isNewFile: true, complete: file.complete, position } as const;
    return open ? { ...base, replaced: open, settle: open.positions } : { ...base, settle: [] };
  }

  /**
   * Puts back, as open and partial, a generation that was finished complete but whose file hash
   * did not match: `chunks` are the ones that checked out against their own chunk hashes (the
   * others were bad and are wanted again), `positions` the records it still holds. Later chunks
   * of it are accepted again, so a good re-delivery of a bad chunk completes it. Undefined when
   * another generation of the path is open by now (the caller then drops this one as mismatched).
   */
  reopen(file: FileIdentity, chunks: readonly ChunkSlot[], positions: readonly RecordPosition[], now: number = Date.now()): FileState | undefined {
    if (this.#files.has(file.key)) return undefined;
    const identity = safeRelativePath(file.subdirStr, file.filename, file.filenameAppend);
    const hashHex = file.fileHash.toString('hex');
    const first = { ...file, chunkHash: file.fileHash, chunkOffsetWrite: 0, chunkI: 1, data: Buffer.alloc(0) };
    const generation = new FileGeneration(file.key, identity, first, hashHex, now);
    for (const c of chunks) generation.addSlot(c);
    for (const p of positions) generation.hold(copyPosition(p), now);
    this.#finished.delete(`${file.key}\0${hashHex}`);
    this.#files.set(file.key, generation);
    return generation;
  }

  /** Removes a generation whose file was handled (processed, failed for good, or mismatched). */
  finish(key: string, options: LeaveOptions = {}): FileState | undefined {
    return this.#leave(key, options.remember ?? true);
  }

  /** Removes a generation that will not be completed (idle too long, shutting down, poisoned). */
  abandon(key: string, options: LeaveOptions = {}): FileState | undefined {
    return this.#leave(key, options.remember ?? false);
  }

  #leave(key: string, remember: boolean): FileState | undefined {
    const file = this.#files.get(key);
    if (!file) return undefined;
    this.#files.delete(key);
    if (remember) this.#remember(`${key}\0${file.fileHashHex}`, 'finished');
    return file;
  }

  /** Chunks of this generation are skipped from now on (bounded by `rememberFinished`). */
  #remember(id: string, how: 'finished' | 'superseded'): void {
    if (this.options.rememberFinished <= 0) return;
    this.#finished.delete(id);
    this.#finished.set(id, how);
    for (const oldest of this.#finished.keys()) {
      if (this.#finished.size <= this.options.rememberFinished) break;
      this.#finished.delete(oldest);
    }
  }

  #checkLimits(chunk: DataFileChunk, context: Record<string, unknown>): AssemblyError | undefined {
    const { maxChunkBytes, maxFileBytes, maxChunksPerFile } = this.options;
    const limited = (code: ErrorCode, message: string) => new AssemblyError(code, `${String(context.path)}: ${message}`, context);
    if (chunk.data.length > maxChunkBytes) {
      return limited('ERR_LIMIT_CHUNK_BYTES', `chunk ${chunk.chunkI} has ${chunk.data.length} bytes, limit ${maxChunkBytes}`);
    }
    if (chunk.nTotalChunks > maxChunksPerFile) {
      return limited('ERR_LIMIT_CHUNK_COUNT', `file has ${chunk.nTotalChunks} chunks, limit ${maxChunksPerFile}`);
    }
    const end = chunk.chunkOffsetWrite + chunk.data.length;
    if (end > maxFileBytes) {
      return limited('ERR_LIMIT_FILE_BYTES', `chunk ${chunk.chunkI} ends at byte ${end}, limit ${maxFileBytes}`);
    }
    return undefined;
  }
}

/** OpenMSIStream's generation rule (SPEC §3); `chunk` carries another file hash than `open`. */
function supersedes(chunk: DataFileChunk, open: FileState): boolean {
  if (chunk.nTotalChunks !== open.nTotalChunks) return chunk.nTotalChunks > open.nTotalChunks;
  const mtime = knownMtime(chunk.fileMtime);
  return mtime !== null && open.fileMtime !== null && mtime > open.fileMtime;
}

/** Field checks the decoder already makes, repeated because the table must hold for any caller. */
function describeInvalid(chunk: DataFileChunk): string | undefined {
  const { chunkI, nTotalChunks, chunkOffsetWrite } = chunk;
  if (!(chunk.data instanceof Uint8Array)) return 'chunk data is not bytes';
  if (!(chunk.fileHash instanceof Uint8Array) || chunk.fileHash.length !== 64) return 'file hash is not 64 bytes';
  if (!Number.isSafeInteger(nTotalChunks) || nTotalChunks < 1) return `n_total_chunks ${nTotalChunks} is not a positive integer`;
  if (!Number.isSafeInteger(chunkI) || chunkI < 1 || chunkI > nTotalChunks) {
    return `chunk_i ${chunkI} is not within 1..n_total_chunks (${nTotalChunks})`;
  }
  if (!Number.isSafeInteger(chunkOffsetWrite) || chunkOffsetWrite < 0) {
    return `chunk_offset_write ${chunkOffsetWrite} is not a non-negative integer`;
  }
  if (!Number.isSafeInteger(chunkOffsetWrite + chunk.data.length)) return 'chunk ends beyond 2^53 bytes';
  return undefined;
}

function copyPosition(record: RecordPosition): RecordPosition {
  const { topic, partition, offset } = record;
  if (typeof topic !== 'string' || !Number.isSafeInteger(partition) || partition < 0 || typeof offset !== 'string' || !OFFSET.test(offset)) {
    throw new AssemblyError('ERR_INVALID_ARGUMENT', `not a Kafka record position: ${topic}/${partition}@${offset}`, { topic, partition, offset });
  }
  return { topic, partition, offset };
}

function reject(position: RecordPosition, error: AssemblyError | UnsafePathError, key?: string, file?: FileState): RejectedDecision {
  return { kind: 'rejected', error, position, settle: [position], ...(key === undefined ? {} : { key }), ...(file ? { file } : {}) };
}

function current(file: FileState | undefined): { current?: FileState } {
  return file ? { current: file } : {};
}
