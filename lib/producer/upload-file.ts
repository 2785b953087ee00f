/**
 * Uploads one file: digest it, stream its chunks into a ChunkProducer, wait for every ack.
 *
 * A file that changes while it is being sent (size/mtime before and after, or a chunk whose bytes
 * no longer match the first pass) is sent again from the start as a new generation: consumers
 * replace a partial file when a chunk with a different file hash arrives (SPEC §3). After
 * `maxGenerations` attempts the file is given up with ERR_FILE_CHANGED; a directory uploader
 * tries it again once it is quiet.
 *
 * Stopping (`signal` aborted) ends the reading at the next chunk: what was queued is still
 * answered (its acknowledgements reach `onAcked`, so a resumed upload skips those chunks), then
 * the upload rejects with ERR_ABORTED. A file whose chunks were all queued just waits for them.
 */
import { basename } from 'node:path';
import { UploadError } from '../errors.js';
import { chunkKey } from '../codec/chunk-codec.js';
import { digestFile, readChunkRecords, sameSnapshot, snapshotFile, type FileDigest } from './file-chunker.js';
import type { ChunkProducer } from './chunk-producer.js';
import { RecordPool } from './record-pool.js';
import { validateUploadFileLimits, type UploadFileLimits } from './upload-file-options.js';

/** `chunkSize` (default 512 KiB, a power of two) and `maxGenerations`: upload-file-options.ts. */
export interface UploadFileOptions extends Partial<UploadFileLimits> {
  /** Directory relative to the upload root, `/` separators, `""` at the top level. */
  subdirStr?: string;
  /** Name on the wire; defaults to the base name of the path. */
  filename?: string;
  filenameAppend?: string;
  /** Write 9-field values for OpenMSIStream <= 1.8.6. */
  legacy?: boolean;
  /** Called after each chunk is queued, with the bytes of that chunk. */
  onChunk?: (bytes: number) => void;
  /**
   * Resuming an interrupted upload: given this content's digest, the 1-based chunks the broker
   * already acknowledged (they are read and checked, not sent again).
   */
  alreadySent?: (digest: FileDigest) => ReadonlySet<number>;
  /** Called once the broker acknowledged chunk `chunkI`, with its record value's bytes (what OpenMSIStream's heartbeats count). */
  onAcked?: (chunkI: number, bytes: number) => void;
  /**
   * Called once every chunk of the final generation is read, checked and queued, before the
   * acknowledgements arrive: the file is no longer read, so a caller can start reading the next.
   */
  onSent?: () => void;
  /** Stops reading further chunks (see the header); the upload then rejects with ERR_ABORTED. */
  signal?: AbortSignal;
}

export interface UploadFileResult {
  path: string;
  size: number;
  mtime: number;
  fileHash: Buffer;
  nChunks: number;
  generations: number;
}

export async function uploadFile(producer: ChunkProducer, path: string, options: UploadFileOptions = {}): Promise<UploadFileResult> {
  const { chunkSize, maxGenerations } = validateUploadFileLimits(options);
  const identity = {
    filename: options.filename ?? basename(path),
    subdirStr: options.subdirStr ?? '',
    filenameAppend: options.filenameAppend ?? '',
  };
  // Each value is read into again once the broker acknowledged it (record-pool.ts).
  const pool = new RecordPool();
  let lastError: unknown;
  for (let generation = 1; generation <= maxGenerations; generation++) {
    try {
      throwIfStopped(options.signal, path);
      const digest = await digestFile(path, chunkSize);
      throwIfStopped(options.signal, path);
      const skip = options.alreadySent?.(digest);
      const acks: Promise<void>[] = [];
      const records = readChunkRecords(path, digest, identity, { legacy: options.legacy === true, allocate: (bytes) => pool.take(bytes) });
      for await (const { chunk, value } of records) {
        if (options.signal?.aborted) {
          await Promise.allSettled(acks);
          throwIfStopped(options.signal, path);
        }
        if (skip?.has(chunk.chunkI)) {
          pool.give(value);
          continue;
        }
        const { acked } = await producer.send(chunkKey(chunk), value);
        const chunkI = chunk.chunkI;
        const bytes = value.length;
        const done = acked.then(() => {
          pool.give(value);
          options.onAcked?.(chunkI, bytes);
        });
        // Awaited with the others below; until then a failed batch must not be an unhandled
        // rejection (that ends the process): the loop is still reading and sending chunks.
        done.catch(() => undefined);
        acks.push(done);
        options.onChunk?.(chunk.data.length);
      }
      // Every byte sent was read by now: a change after this point is a new content, for the
      // next scan, not a reason to resend this one. A file that changed or vanished while it
      // was read settles only once what was queued of it has been answered, as before.
      const after = await snapshotFile(path).catch(async (err: unknown) => {
        await Promise.allSettled(acks);
        throw err;
      });
      if (!sameSnapshot(digest, after)) {
        await Promise.allSettled(acks);
        throw new UploadError('ERR_FILE_CHANGED', `${path} changed while it was being sent`, { path });
      }
      options.onSent?.();
      await Promise.all(acks);
      return { path, size: digest.size, mtime: digest.mtime, fileHash: digest.fileHash, nChunks: digest.chunkHashes.length, generations: generation };
    } catch (err) {
      if (!(err instanceof UploadError) || err.code !== 'ERR_FILE_CHANGED') throw err;
      lastError = err;
    }
  }
  throw new UploadError('ERR_FILE_CHANGED', `${path} kept changing; gave up after ${maxGenerations} attempts`, { path }, lastError);
}

function throwIfStopped(signal: AbortSignal | undefined, path: string): void {
  if (signal?.aborted) throw new UploadError('ERR_ABORTED', `upload of ${path} stopped before it was complete`, { path });
}
