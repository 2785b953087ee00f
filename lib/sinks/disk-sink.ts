/**
 * DiskSink: writes each file's chunks to a staging file under the output directory and, once the
 * file hash matched, renames it into `<outputDir>/<relativePath>` (disk and both modes).
 *
 * In: AssemblyEvents. Out: a ready file (`fullFilepath` set; in `both` mode its bytes are read
 * into memory too) or a Settlement (`mismatched_hash`, `staged`, or passed through).
 * Memory: about one chunk per write in flight; the write callback is held until the positional
 * write finished, which is the backpressure. With a journal, chunks of files that stay in
 * staging for a while are made durable and their records released (`staged`), so a file that
 * never completes does not pin its partitions. A disk error (ENOSPC, EACCES) fails the stream:
 * nothing after the failed write is committed, and a restart picks up from there.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DataFileStreamError } from '../errors.js';
import { DownloadDataFile } from '../process/download-data-file.js';
import type { AssemblyEvent, FileRef, SinkEvent } from '../consumer/pipeline-events.js';
import type { RecordPosition } from '../types.js';
import { hashMismatch, StagingArea } from './staging-area.js';
import type { StagingJournal } from './staging-journal.js';
import { StagingSink } from './staging-sink.js';

export const STAGING_DIR_NAME = '.datafile-stream-staging';

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
}

export class DiskSink extends StagingSink {
  readonly #o: DiskSinkOptions & { keepInMemory: boolean };

  constructor(options: DiskSinkOptions) {
    const area = new StagingArea({
      dir: options.stagingDir ?? join(options.outputDir, STAGING_DIR_NAME),
      logger: options.logger,
      ...(options.journal && { journal: options.journal }),
      ...(options.stageAfterMs !== undefined && { stageAfterMs: options.stageAfterMs }),
    });
    super(8, area, options.stageAfterMs);
    this.#o = { keepInMemory: false, ...options };
  }

  protected override async handle(event: AssemblyEvent): Promise<SinkEvent | undefined> {
    switch (event.kind) {
      case 'settle':
        return event;
      case 'chunk':
        if (event.restored) this.area.noteRestored(event.file, event.chunk.chunkOffsetWrite, event.chunk.data.length, event.position);
        else await this.area.write(event.file, event.chunk.chunkOffsetWrite, event.chunk.data, event.chunk.chunkI, event.position);
        return undefined;
      case 'duplicate': {
        const now = this.area.noteDuplicate(event.file, event.chunkOffset, event.position);
        return now.length > 0 ? { kind: 'settle', positions: now, outcome: 'staged' } : undefined;
      }
      case 'drop': {
        await this.area.release(event.file)?.discard();
        return { kind: 'settle', positions: event.positions, outcome: event.outcome, file: event.file, ...(event.error ? { error: event.error } : {}) };
      }
      case 'complete':
        return this.#complete(event.file, event.positions);
    }
  }

  async #complete(ref: FileRef, positions: RecordPosition[]): Promise<SinkEvent> {
    const staged = this.area.file(ref);
    const hash = await staged.digest();
    this.area.release(ref);
    if (!hash.equals(ref.fileHash)) {
      await staged.discard();
      return hashMismatch(ref, positions, this.#o.logger);
    }
    const size = staged.size;
    let fullFilepath: string;
    try {
      fullFilepath = await staged.commit(this.#o.outputDir, ref.relativePath);
    } catch (err) {
      // A path the output tree cannot hold (a symlink on the way, a file where a directory must
      // be, or the reverse) fails this file only: bad input must not stop the stream, and a
      // restart would hit the same path again.
      if (!isUnplaceable(err)) throw err;
      await staged.discard();
      this.#o.logger.warn({ file: ref.relativePath, code: err.code }, `cannot place the file: ${err.message}`);
      return { kind: 'settle', positions, outcome: 'failed', file: ref, error: err };
    }
    const data = this.#o.keepInMemory ? await readFile(fullFilepath) : undefined;
    const file = DownloadDataFile.fromRef(ref, { size, fullFilepath, ...(data ? { data } : {}) });
    return { kind: 'file', ref, file, positions, release: () => file.release() };
  }

  protected override checkpoint(): Promise<RecordPosition[]> {
    return this.area.checkpoint();
  }
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
