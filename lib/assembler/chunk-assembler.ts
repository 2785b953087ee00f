/**
 * ChunkAssembler: the stream face of the AssemblyTable (SPEC §3).
 *
 * In: SourceItems (decoded chunks and bad records). Out: AssemblyEvents: each accepted chunk
 * (for a sink to store), `complete` when a file has all its chunks, `drop` when a generation is
 * superseded or given up, and `settle` for records that need nothing more (bad input, stale
 * generations, paths outside `downloadRegex`, files the registry already lists as processed
 * with the same hash: the re-read tail of a file finished before a crash).
 *
 * Bad input is logged with topic/partition/offset and a reason code and settled; it never
 * fails the stream. Backpressure is the sink's: one event per record, pushed in order.
 * End of input (`_flush`): unfinished files stay unsettled, so their records are read again by
 * the next run.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Logger } from 'pino';
import { AssemblyError, UnsafePathError, type DataFileStreamError } from '../errors.js';
import { safeRelativePath } from '../paths/safe-path.js';
import { EMPTY_SHA512 } from '../codec/chunk-hash.js';
import { crashPoint } from '../faults/crash-point.js';
import type { AssemblyEvent, FileRef, JournalFile, Outcome, Settlement, SourceItem } from '../pipeline-events.js';
import { fileIdentity, type ChunkRecord, type FileIdentity, type RecordPosition } from '../types.js';
import { AssemblyTable, type ChunkSlot, type FileState } from './assembly-table.js';
import { registryFile } from '../registry/file-registry.js';
import type { AssemblyTableOptions } from './assembly-table-options.js';
import { VerifyingFiles } from './verifying-files.js';
import { UnusedRecordChecks } from './unused-records.js';

/** The registry questions the assembler asks (lib/registry/file-registry.ts answers them). */
export interface AssemblerRegistry {
  isProcessed(relativeFilepath: string, fileHash: Buffer): boolean;
  markInProgress(file: { filename: string; relativeFilepath: string; nTotalChunks: number }): void;
}

export interface ChunkAssemblerOptions {
  logger: Logger;
  registry?: AssemblerRegistry;
  /** Only files whose relative path matches are assembled; the rest are settled as skipped. */
  downloadRegex?: RegExp;
  /** Top-level directory names no record may write into (the registry's LOGS, staging). */
  reservedTopLevel?: readonly string[];
  limits?: Partial<AssemblyTableOptions>;
  /** Called for every bad record (for counters and the rejected-records table). */
  onRejected?: (position: RecordPosition, error: DataFileStreamError) => void;
  /** Partial files found in the staging journal at start: assembled on from where they were. */
  restore?: readonly JournalFile[];
  /**
   * A later stage checks each complete file's hash and gives its verdict (`fileVerified` or
   * `reopenFile`): copies of the file's chunks that arrive before it wait for it.
   */
  verdictsFromSink?: boolean;
}

export class ChunkAssembler extends Transform {
  readonly #o: ChunkAssemblerOptions;
  readonly #table: AssemblyTable;
  readonly #refs = new Map<FileState, FileRef>();
  readonly #next = new Map<number, bigint>();
  #generation = 0;
  readonly #verifying = new VerifyingFiles();
  readonly #unused = new UnusedRecordChecks();

  constructor(options: ChunkAssemblerOptions) {
    super({ objectMode: true, highWaterMark: 16 });
    this.#o = options;
    this.#table = new AssemblyTable(options.limits ?? {});
  }

  /** Files with some chunks but not all. */
  get openFiles(): number {
    return this.#table.size;
  }

  /** Relative paths of the files being assembled, for `check`. */
  openFilePaths(): string[] {
    return [...this.#table.openFiles()].map((f) => f.relativePath);
  }

  /** One past the last record offset this stage took from a partition (undefined: none yet). */
  nextOffset(partition: number): bigint | undefined {
    return this.#next.get(partition);
  }

  /**
   * Gives up a file being assembled from outside the stream (its earlier records were deleted
   * by retention, lib/pipeline/retention-gaps.ts): its records settle, the sink drops its data,
   * the registry records it failed with `error`. False when no open file has that path.
   */
  abandonFile(relativePath: string, error: DataFileStreamError): boolean {
    if (this.writableEnded || this.destroyed) return false;
    const file = [...this.#table.openFiles()].find((f) => f.relativePath === relativePath);
    if (!file || !this.#table.abandon(file.key)) return false;
    this.#drop(file, [...file.positions], 'failed', error);
    return true;
  }

  /**
   * Puts back a complete file whose rebuilt bytes did not match file_hash, without the chunks a
   * sink found bad against their own chunk hashes: it is open and partial again, holding
   * `positions`, and a good re-delivery of those chunks completes it. False when that cannot be
   * (input ended, or another generation of the path is open): the caller drops the file then.
   */
  reopenFile(ref: FileRef, chunks: readonly ChunkSlot[], positions: readonly RecordPosition[]): boolean {
    if (this.writableEnded || this.destroyed) {
      this.fileVerified(ref);
      return false;
    }
    const state = this.#table.reopen(ref, chunks, positions);
    const waited = this.#verifying.end(ref.key, ref.fileHash);
    if (!state) {
      this.#settleCopies(waited);
      return false;
    }
    this.#refs.set(state, ref);
    this.#o.logger.info({ file: ref.relativePath, missing: ref.nTotalChunks - chunks.length }, 'file reopened: waiting for good copies of its bad chunks');
    for (const record of waited) this.#add(record);
    return true;
  }

  /** The sink's verdict on a complete file was final (placed, or dropped): copies that waited are skipped. */
  fileVerified(ref: FileRef): void {
    this.#settleCopies(this.#verifying.end(ref.key, ref.fileHash));
  }

  #settleCopies(records: readonly ChunkRecord[]): void {
    for (const r of records) this.#settleUnused(r, { kind: 'settle', positions: [positionOf(r)], outcome: 'skipped' });
  }

  /**
   * Settles a record whose data no file uses. When the sink verifies chunks by their file's hash,
   * the record's own hash is checked first (unused-records.ts): a corrupt one is rejected.
   */
  #settleUnused(record: ChunkRecord, settlement: Settlement): void {
    if (!this.#o.verdictsFromSink || settlement.outcome === 'rejected') {
      this.push(settlement);
      return;
    }
    this.#unused.check(record.chunk, (error) => {
      if (this.destroyed) return;
      if (error) this.#reject(positionOf(record), error);
      else this.push(settlement);
    });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    for (const file of this.#o.restore ?? []) this.#restore(file);
    callback();
  }

  /**
   * Re-enters a journaled partial file: its chunks go through the table as they did before the
   * restart (their bytes are already in staging, so the sink only notes them). Their records
   * were committed; positions are kept only so the file's story stays complete.
   */
  #restore(journaled: JournalFile): void {
    const { file } = journaled;
    if (this.#settledBefore(file)) return;
    const longest = Math.max(0, ...journaled.chunks.map((c) => c.length));
    const placeholder = Buffer.alloc(longest);
    let restored = 0;
    for (const c of journaled.chunks) {
      const chunk = {
        filename: file.filename,
        fileHash: file.fileHash,
        // The journal keeps chunk hashes since they are checked only when a file's hash fails; an older journal did not.
        chunkHash: c.chunkHash ?? EMPTY_SHA512,
        chunkOffsetWrite: c.offset,
        chunkI: c.chunkI,
        nTotalChunks: file.nTotalChunks,
        subdirStr: file.subdirStr,
        filenameAppend: file.filenameAppend,
        data: placeholder.subarray(0, c.length),
        fileMtime: file.fileMtime,
      };
      const decision = this.#table.add({ ...c.position, chunk, valueBytes: 0 });
      if (decision.kind !== 'accepted') continue;
      let ref = this.#refs.get(decision.file);
      if (!ref) {
        ref = this.#refOf(decision.file);
        this.#refs.set(decision.file, ref);
      }
      restored++;
      this.push({ kind: 'chunk', file: ref, chunk, position: c.position, restored: true });
      if (decision.complete) {
        const finished = this.#table.finish(decision.key) ?? decision.file;
        this.#refs.delete(decision.file);
        this.#completed(ref, finished);
      }
    }
    this.#o.logger.info({ file: file.key, chunks: restored, of: file.nTotalChunks }, 'partial file restored from the staging journal');
  }

  /**
   * A journaled file stays in the journal until it settles, and a crash can come between its
   * settlement reaching the registry and its leaving the journal: such a file, listed as
   * processed (or kept as failed), is dropped from staging instead of being processed again.
   */
  #settledBefore(file: FileIdentity): boolean {
    if (this.#o.registry?.isProcessed(file.relativePath, file.fileHash) !== true) return false;
    this.#o.logger.info({ file: file.relativePath }, 'a journaled file settled before the restart leaves staging');
    const ref: FileRef = { ...file, generation: ++this.#generation, firstSeenAt: new Date() };
    this.push({ kind: 'drop', file: ref, positions: [], outcome: 'already_processed' });
    return true;
  }

  override _transform(item: SourceItem, _encoding: BufferEncoding, callback: TransformCallback): void {
    const at = item.kind === 'bad' ? item.position : item.record;
    this.#next.set(at.partition, BigInt(at.offset) + 1n);
    if (item.kind === 'bad') {
      this.#reject(item.position, item.error);
      callback();
      return;
    }
    this.#add(item.record);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#table.size > 0) this.#o.logger.info({ openFiles: this.#table.size }, 'input ended with files still incomplete; their records will be read again');
    this.#unused.idle().then(() => callback(), callback);
  }

  #add(record: ChunkRecord): void {
    if (this.#verifying.hold(record)) return;
    const { chunk } = record;
    const position: RecordPosition = { topic: record.topic, partition: record.partition, offset: record.offset };
    const early = this.#screen(record);
    if (early) {
      this.#settleUnused(record, { kind: 'settle', positions: [position], ...early });
      return;
    }
    const decision = this.#table.add(record);
    switch (decision.kind) {
      case 'accepted': {
        if (decision.replaced) this.#drop(decision.replaced, [...decision.settle], 'superseded');
        let ref = this.#refs.get(decision.file);
        if (!ref) {
          ref = this.#refOf(decision.file);
          this.#refs.set(decision.file, ref);
          this.#o.registry?.markInProgress(registryFile(ref));
        }
        this.push({ kind: 'chunk', file: ref, chunk, position });
        crashPoint('after-buffer');
        if (decision.complete) {
          const finished = this.#table.finish(decision.key) ?? decision.file;
          this.#refs.delete(decision.file);
          this.#completed(ref, finished);
        }
        return;
      }
      case 'duplicate': {
        // Held by its file; the sink may release it early once that chunk is durable in staging.
        const ref = this.#refs.get(decision.file);
        if (ref) this.push({ kind: 'duplicate', file: ref, chunkOffset: chunk.chunkOffsetWrite, position, chunk });
        return;
      }
      case 'stale':
        this.#settleUnused(record, { kind: 'settle', positions: [...decision.settle], outcome: 'skipped' });
        return;
      case 'rejected': {
        this.#reject(position, decision.error, false);
        this.push({ kind: 'settle', positions: [...decision.settle], outcome: 'rejected', error: decision.error });
        if (decision.file && decision.key !== undefined) {
          // The file can never complete now (a chunk over a limit, or contradicting the others).
          const abandoned = this.#table.abandon(decision.key);
          if (abandoned) this.#drop(abandoned, [...abandoned.positions], 'rejected', decision.error);
        }
        return;
      }
    }
  }

  /** Decisions that need no assembly: filtered out, reserved path, or already processed. */
  #screen(record: ChunkRecord): { outcome: Outcome; error?: DataFileStreamError } | undefined {
    const { chunk } = record;
    let relativePath: string;
    try {
      relativePath = safeRelativePath(chunk.subdirStr, chunk.filename, chunk.filenameAppend).relativePath;
    } catch {
      return undefined; // the table rejects it with the precise reason
    }
    const top = relativePath.split('/')[0]!;
    // A top-level file with a reserved name is refused too: it would land on that directory.
    if ((this.#o.reservedTopLevel ?? []).includes(top)) {
      const error = new UnsafePathError('ERR_UNSAFE_PATH', `"${relativePath}" is, or is inside, the reserved name "${top}"`, { path: relativePath, ...positionOf(record) });
      this.#reject(positionOf(record), error, false);
      return { outcome: 'rejected', error };
    }
    const uploadPath = chunk.subdirStr === '' ? chunk.filename : `${chunk.subdirStr}/${chunk.filename}`;
    if (this.#o.downloadRegex && !this.#o.downloadRegex.test(uploadPath)) return { outcome: 'skipped' };
    const open = this.#table.get(uploadPath);
    if ((!open || !open.fileHash.equals(chunk.fileHash)) && this.#o.registry?.isProcessed(relativePath, chunk.fileHash)) return { outcome: 'already_processed' };
    return undefined;
  }

  #refOf(file: FileState): FileRef {
    return { ...fileIdentity(file), generation: ++this.#generation, firstSeenAt: new Date(file.firstSeenAt) };
  }

  /**
   * Every chunk is in. Uploads tile their file (chunk k ends where k+1 starts, and a complete
   * generation has no overlaps), so chunks that leave holes cannot be an upload and cannot match
   * `file_hash`: judged here as a hash mismatch, without reading or allocating the holes (one
   * hostile chunk at offset 2^39 would otherwise have the sink hash 512 GiB of zeros, or memory
   * mode allocate them).
   */
  #completed(ref: FileRef, finished: FileState): void {
    if (finished.receivedBytes === finished.size) {
      if (this.#o.verdictsFromSink) this.#verifying.start(ref.key, ref.fileHash);
      this.push({ kind: 'complete', file: ref, positions: [...finished.positions] });
      return;
    }
    const error = new AssemblyError('ERR_FILE_HASH_MISMATCH', `${ref.relativePath}: its chunks cover ${finished.receivedBytes} of its ${finished.size} bytes (holes), so it cannot match file_hash`, { path: ref.relativePath });
    this.#o.logger.warn({ file: ref.relativePath, code: error.code }, error.message);
    this.push({ kind: 'drop', file: ref, positions: [...finished.positions], outcome: 'mismatched_hash', error });
  }

  #drop(file: FileState, positions: RecordPosition[], outcome: Outcome, error?: DataFileStreamError): void {
    const ref = this.#refs.get(file);
    this.#refs.delete(file);
    if (ref) this.push({ kind: 'drop', file: ref, positions, outcome, ...(error ? { error } : {}) });
    else this.push({ kind: 'settle', positions, outcome, ...(error ? { error } : {}) });
  }

  #reject(position: RecordPosition, error: DataFileStreamError, settle = true): void {
    this.#o.logger.warn({ ...position, code: error.code }, `bad record skipped: ${error.message}`);
    this.#o.onRejected?.(position, error);
    if (settle) this.push({ kind: 'settle', positions: [position], outcome: 'rejected', error } satisfies AssemblyEvent);
  }
}

function positionOf(record: ChunkRecord): RecordPosition {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}
