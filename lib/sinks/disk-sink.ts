/**
 * DiskSink: writes each file's chunks to a staging file under the output directory and, once the
 * file hash matched, renames it into `<outputDir>/<relativePath>` (disk and both modes).
 *
 * In: AssemblyEvents. Out: a ready file (`fullFilepath` set; in `both` mode its bytes are read
 * into memory too) or a Settlement (`mismatched_hash`, `staged`, or passed through).
 * Memory: about one chunk per write in flight; the write callback is held until the positional
 * write finished, which is the backpressure. A complete file is verified, fsynced and renamed
 * while the next files' chunks are written (up to COMMITS_IN_FLIGHT files at once, one in
 * `both` mode, which reads each into memory): with many small files their fsyncs overlap
 * instead of queueing one behind the other. Renames still happen in the order the files
 * completed (a newer generation lands after an older one; of two colliding paths the first
 * wins), and events of a path being committed wait for that commit. With a journal, chunks of
 * files that stay in staging for a while are made durable and their records released
 * (`staged`), so a file that never completes does not pin its partitions. A disk error (ENOSPC, EACCES) fails the stream:
 * nothing after the failed write is committed, and a restart picks up from there.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ChunkDecodeError, DataFileStreamError } from '../errors.js';
import { EMPTY_SHA512, sha512Async } from '../codec/chunk-hash.js';
import { DownloadDataFile } from '../download-data-file.js';
import type { AssemblyEvent, FileRef, SinkEvent } from '../pipeline-events.js';
import type { DataFileChunk, RecordPosition } from '../types.js';
import { hashMismatch, StagingArea, type WrittenChunk } from './staging-area.js';
import type { StagedFile } from './staged-file.js';
import type { StagingJournal } from './staging-journal.js';
import { StagingSink } from './staging-sink.js';

import { STAGING_DIR_NAME } from '../paths/staging-names.js';

export { STAGING_DIR_NAME };

/** Complete files verified and moved to their final paths at once. */
export const COMMITS_IN_FLIGHT = 8;

export interface DiskSinkOptions {
  outputDir: string;
  logger: Logger;
  /** Also hold each finished file's bytes in memory (`both` mode). */
  keepInMemory?: boolean;
  stagingDir?: string;
  /** Makes long-staged chunks durable so their offsets can be committed. */
  journal?: StagingJournal;
  /** How long a file stays in staging before its chunks are journaled (default 5000 ms). */
  stageAfterMs?: number;
  /**
   * Where the verdict on each complete file goes back to (the ChunkAssembler). With it, chunks
   * need not be verified before they come here: a file whose hash fails is checked chunk by
   * chunk, its bad chunks rejected and the file reopened for good copies of them. Without it,
   * such a file is dropped as mismatched.
   */
  verdicts?: FileVerdicts;
}

/** The assembler's side of a complete file's verdict (ChunkAssembler implements it). */
export interface FileVerdicts {
  /** Back into assembly without its bad chunks, holding `positions`; false when it cannot be (the file is then dropped). */
  reopenFile(ref: FileRef, chunks: readonly WrittenChunk[], positions: readonly RecordPosition[]): boolean;
  /** The file was placed, or dropped: final. */
  fileVerified(ref: FileRef): void;
}

export class DiskSink extends StagingSink {
  readonly #o: DiskSinkOptions & { keepInMemory: boolean };
  /** Files being committed, by relative path. */
  readonly #committing = new Map<string, Promise<void>>();
  /** Settles once the last file started is at its final path (or failed): the next one's rename waits for it. */
  #lastPlacement: Promise<void> = Promise.resolve();

  constructor(options: DiskSinkOptions) {
    const area = new StagingArea({
      dir: options.stagingDir ?? join(options.outputDir, STAGING_DIR_NAME),
      logger: options.logger,
      ...(options.journal && { journal: options.journal }),
      ...(options.stageAfterMs !== undefined && { stageAfterMs: options.stageAfterMs }),
    });
    super(8, area);
    this.#o = { keepInMemory: false, ...options };
  }

  protected override async handle(event: AssemblyEvent): Promise<SinkEvent | undefined> {
    // A file at the same path being committed (this generation's staging file) is finished first.
    if (event.kind !== 'settle') await this.#committing.get(event.file.relativePath);
    switch (event.kind) {
      case 'settle':
        return event;
      case 'chunk':
        if (event.restored) this.area.noteRestored(event.file, event.chunk.chunkOffsetWrite, event.chunk.data.length, event.position, restoredHash(event.chunk));
        else await this.area.write(event.file, event.chunk.chunkOffsetWrite, event.chunk.data, event.chunk.chunkI, event.position, { chunkHash: event.chunk.chunkHash });
        return undefined;
      case 'duplicate': {
        if (this.#o.verdicts && event.chunk && !(await this.#copyChecksOut(event.file, event.chunk, event.position))) {
          return { kind: 'settle', positions: [event.position], outcome: 'rejected', error: badChunksError(event.file, [event.chunk]) };
        }
        const now = this.area.noteDuplicate(event.file, event.chunkOffset, event.position);
        return now.length > 0 ? { kind: 'settle', positions: now, outcome: 'staged' } : undefined;
      }
      case 'drop': {
        await this.#judgeUnused(event.file);
        await this.area.discard(event.file);
        return { kind: 'settle', positions: event.positions, outcome: event.outcome, file: event.file, ...(event.error ? { error: event.error } : {}) };
      }
      case 'complete':
        await this.#startCommit(event.file, event.positions);
        return undefined;
    }
  }

  /** Starts committing a complete file once a slot is free; its outcome is pushed when known. */
  async #startCommit(ref: FileRef, positions: RecordPosition[]): Promise<void> {
    const limit = this.#o.keepInMemory ? 1 : COMMITS_IN_FLIGHT;
    while (this.#committing.size >= limit) await Promise.race(this.#committing.values());
    const name = ref.relativePath;
    const staged = this.area.beginCommit(ref);
    const placeAfter = this.#lastPlacement;
    const completion = this.#complete(ref, staged, positions, placeAfter);
    this.#lastPlacement = Promise.allSettled([placeAfter, completion]).then(() => undefined);
    const job = completion.then(
      (out) => {
        this.#committing.delete(name);
        if (!this.destroyed) this.push(out);
      },
      (err: unknown) => {
        this.#committing.delete(name);
        this.destroy(err as Error); // a failing disk: nothing after it may be committed
      },
    );
    this.#committing.set(name, job);
  }

  async #complete(ref: FileRef, staged: StagedFile, positions: RecordPosition[], placeAfter: Promise<void>): Promise<SinkEvent> {
    const hash = await staged.digest();
    if (!hash.equals(ref.fileHash)) return this.#mismatched(ref, staged, positions);
    this.#o.verdicts?.fileVerified(ref);
    const size = staged.size;
    const journaled = this.area.released(ref);
    let fullFilepath: string;
    try {
      // A journaled file keeps its staging name (the final path is a second one) until it settles.
      fullFilepath = await staged.commit(this.#o.outputDir, ref.relativePath, placeAfter, journaled);
      if (!journaled) this.area.release(ref); // after the rename: a crash before it still finds the journaled chunks
    } catch (err) {
      // A path the output tree cannot hold (a symlink on the way, a file where a directory must
      // be, or the reverse) fails this file only: bad input must not stop the stream, and a
      // restart would hit the same path again.
      if (!isUnplaceable(err)) throw err;
      await staged.discard();
      this.area.release(ref);
      this.#o.logger.warn({ file: ref.relativePath, code: err.code }, `cannot place the file: ${err.message}`);
      return { kind: 'settle', positions, outcome: 'failed', file: ref, error: err };
    }
    const data = this.#o.keepInMemory ? await readFile(fullFilepath) : undefined;
    const file = DownloadDataFile.fromRef(ref, { size, fullFilepath, ...(data ? { data } : {}) });
    return { kind: 'file', ref, file, positions, release: () => file.release(), ...(journaled && { journaled }) };
  }

  /**
   * Another copy of a chunk of a file whose chunks were not verified on arrival: false when the
   * copy is corrupt. A good copy whose bytes differ from those held replaces them, and the record
   * they came in is rejected (they were the corrupt ones).
   */
  async #copyChecksOut(ref: FileRef, chunk: DataFileChunk, position: RecordPosition): Promise<boolean> {
    if (!(await sha512Async(chunk.data)).equals(chunk.chunkHash)) return false;
    const replaced = await this.area.replaceIfDifferent(ref, chunk.chunkOffsetWrite, chunk.data, chunk.chunkHash, position);
    if (replaced) {
      const error = badChunksError(ref, [chunk]);
      this.#o.logger.warn({ file: ref.relativePath, code: error.code, chunk: chunk.chunkI }, `${error.message}; a good copy replaced it`);
      this.push({ kind: 'settle', positions: [replaced], outcome: 'rejected', error } satisfies SinkEvent);
    }
    return true;
  }

  /**
   * The rebuilt file is not what file_hash says. Its chunks are checked against their own
   * hashes: bad ones are rejected with their records (the rejected-records file lists them) and
   * the file goes back to assembly to wait for good copies, its good chunks kept in staging.
   * With no bad chunk (the file changed while it was uploaded) or no way back, it is dropped.
   */
  async #mismatched(ref: FileRef, staged: StagedFile, positions: RecordPosition[]): Promise<SinkEvent> {
    const verdicts = this.#o.verdicts;
    const check = verdicts ? await this.area.checkChunks(ref) : undefined;
    let rest = positions;
    if (check && check.bad.length > 0) {
      const bad = new Set(check.bad.map((c) => c.position && positionKey(c.position)));
      const held = positions.filter((p) => !bad.has(positionKey(p)));
      const error = badChunksError(ref, check.bad);
      this.#o.logger.warn({ file: ref.relativePath, code: error.code, chunks: check.bad.map((c) => c.chunkI) }, error.message);
      const rejected: SinkEvent = { kind: 'settle', positions: check.bad.flatMap((c) => (c.position ? [c.position] : [])), outcome: 'rejected', error };
      // Before the assembler replays the copies that waited: a good one is then written anew.
      this.area.reopen(ref, check.bad);
      if (verdicts!.reopenFile(ref, [...check.good, ...check.unknown], held)) return rejected;
      // No way back (the input ended, or a newer generation took the path): the file is dropped,
      // and its corrupt chunks are still recorded as such.
      this.push(rejected);
      rest = held;
    }
    verdicts?.fileVerified(ref);
    await staged.discard();
    this.area.release(ref);
    return hashMismatch(ref, rest, this.#o.logger);
  }

  protected override checkpoint(): Promise<RecordPosition[]> {
    return this.area.checkpoint();
  }

  /**
   * End of input: the files still being committed are pushed before the stream ends. Files left
   * partial have chunks nothing judged yet (when chunks are verified by their file's hash): each
   * is checked now, so a corrupt one is recorded however its file ends.
   */
  protected override async drain(): Promise<void> {
    while (this.#committing.size > 0) await Promise.all(this.#committing.values());
    for (const ref of this.area.partialFiles()) await this.#judgeUnused(ref);
  }

  /**
   * A file dropped or left partial, whose chunks were not verified on arrival and now never
   * will be by its hash: each is checked against its own, so a corrupt one is recorded however
   * its file ended.
   */
  async #judgeUnused(ref: FileRef): Promise<void> {
    if (!this.#o.verdicts || !this.area.has(ref)) return;
    const { bad } = await this.area.checkChunks(ref);
    if (bad.length === 0) return;
    const error = badChunksError(ref, bad);
    this.#o.logger.warn({ file: ref.relativePath, code: error.code, chunks: bad.map((c) => c.chunkI) }, error.message);
    this.push({ kind: 'settle', positions: bad.flatMap((c) => (c.position ? [c.position] : [])), outcome: 'rejected', error } satisfies SinkEvent);
  }
}

function positionKey(p: RecordPosition): string {
  return `${p.topic}\0${p.partition}\0${p.offset}`;
}

function badChunksError(ref: FileRef, bad: ReadonlyArray<{ chunkI: number }>): ChunkDecodeError {
  const which = bad.map((c) => c.chunkI).join(', ');
  return new ChunkDecodeError('ERR_CHUNK_HASH_MISMATCH', `${ref.relativePath}: chunk ${which} of ${ref.nTotalChunks}: SHA-512 of data does not match chunk_hash`, { path: ref.relativePath });
}

/**
 * The chunk hash a restored chunk carries from the journal, or undefined when the journal did
 * not keep one (the assembler then gives SHA-512 of nothing, which no chunk with data can have).
 */
function restoredHash(chunk: { chunkI: number; chunkHash: Buffer; data: Buffer }): { chunkI: number; chunkHash?: Buffer } {
  const known = chunk.data.length === 0 || !chunk.chunkHash.equals(EMPTY_SHA512);
  return { chunkI: chunk.chunkI, ...(known && { chunkHash: chunk.chunkHash }) };
}

/** Sinks key their per-file state by generation. */
export function fileId(ref: FileRef): string {
  return `${ref.key}#${ref.generation}`;
}

const UNPLACEABLE_ERRNO = new Set(['EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'ENAMETOOLONG']);

/** The final path cannot be created in the output tree (as opposed to a failing disk). */
function isUnplaceable(err: unknown): err is DataFileStreamError {
  if (!(err instanceof DataFileStreamError)) return false;
  return err.code === 'ERR_UNSAFE_PATH' || (err.code === 'ERR_DISK_WRITE' && UNPLACEABLE_ERRNO.has(String((err as { errno?: unknown }).errno)));
}
