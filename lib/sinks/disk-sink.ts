/**
 * DiskSink: writes each file's chunks to a staging file under the output directory and, once the
 * file hash matched, renames it into `<outputDir>/<relativePath>` (disk and both modes).
 *
 * In: AssemblyEvents. Out: a ready file (`fullFilepath` set; in `both` mode its bytes are read
 * into memory too) or a Settlement (`mismatched_hash`, or passed through from upstream).
 * Memory: about one chunk per write in flight; the write callback is held until the positional
 * write finished, which is the backpressure. A disk error (ENOSPC, EACCES) fails the stream:
 * nothing after the failed write is committed, and a restart picks up from there.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AssemblyError } from '../errors.js';
import { DownloadDataFile } from '../process/download-data-file.js';
import type { AssemblyEvent, FileRef, SinkEvent } from '../consumer/pipeline-events.js';
import { StagedFile, stagingName } from './staged-file.js';

export const STAGING_DIR_NAME = '.datafile-stream-staging';

export interface DiskSinkOptions {
  outputDir: string;
  logger: Logger;
  /** Also hold each finished file's bytes in memory (`both` mode). */
  keepInMemory?: boolean;
  stagingDir?: string;
}

export function fileId(ref: FileRef): string {
  return `${ref.key}#${ref.generation}`;
}

export class DiskSink extends Transform {
  readonly #o: Required<DiskSinkOptions>;
  readonly #open = new Map<string, StagedFile>();

  constructor(options: DiskSinkOptions) {
    super({ objectMode: true, highWaterMark: 8 });
    this.#o = { keepInMemory: false, stagingDir: join(options.outputDir, STAGING_DIR_NAME), ...options };
  }

  override _transform(event: AssemblyEvent, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#handle(event).then((out) => callback(null, out), callback);
  }

  async #handle(event: AssemblyEvent): Promise<SinkEvent | undefined> {
    switch (event.kind) {
      case 'settle':
        return event;
      case 'chunk': {
        await this.#staged(event.file).write(event.chunk.chunkOffsetWrite, event.chunk.data);
        return undefined;
      }
      case 'drop': {
        const staged = this.#open.get(fileId(event.file));
        this.#open.delete(fileId(event.file));
        await staged?.discard();
        return { kind: 'settle', positions: event.positions, outcome: event.outcome, file: event.file, ...(event.error ? { error: event.error } : {}) };
      }
      case 'complete':
        return this.#complete(event.file, event.positions);
    }
  }

  async #complete(ref: FileRef, positions: SinkEvent['positions']): Promise<SinkEvent> {
    const staged = this.#staged(ref);
    this.#open.delete(fileId(ref));
    const hash = await staged.digest();
    if (!hash.equals(ref.fileHash)) {
      await staged.discard();
      const error = new AssemblyError('ERR_FILE_HASH_MISMATCH', `${ref.relativePath}: SHA-512 of the rebuilt file does not match file_hash`, { path: ref.relativePath });
      this.#o.logger.warn({ file: ref.relativePath, code: error.code }, error.message);
      return { kind: 'settle', positions, outcome: 'mismatched_hash', file: ref, error };
    }
    const size = staged.size;
    const fullFilepath = await staged.commit(this.#o.outputDir, ref.relativePath);
    const data = this.#o.keepInMemory ? await readFile(fullFilepath) : undefined;
    const file = new DownloadDataFile({
      relativeFilepath: ref.relativePath,
      subdirStr: ref.subdirStr,
      filename: ref.relativePath.split('/').at(-1)!,
      fileHash: ref.fileHash,
      nTotalChunks: ref.nTotalChunks,
      size,
      fileMtime: ref.fileMtime,
      fullFilepath,
      ...(data ? { data } : {}),
    });
    return { kind: 'file', ref, file, positions, release: () => file.release() };
  }

  #staged(ref: FileRef): StagedFile {
    const id = fileId(ref);
    let staged = this.#open.get(id);
    if (!staged) {
      staged = new StagedFile(this.#o.stagingDir, stagingName(ref.key, ref.fileHash.toString('hex')));
      this.#open.set(id, staged);
    }
    return staged;
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const open = [...this.#open.values()];
    this.#open.clear();
    Promise.all(open.map((s) => s.close())).then(() => callback(err), () => callback(err));
  }
}
