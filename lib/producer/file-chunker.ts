/**
 * Reads one file as the wire format wants it: a first streaming pass hashes the whole file and
 * each chunk (64 bytes kept per chunk, never the data); `readChunks` then yields the chunks one at
 * a time, re-read from disk and checked against the first pass, so a file that changes while it
 * is being sent is caught chunk by chunk (ERR_FILE_CHANGED) as well as by size/mtime.
 * The hashing runs on worker threads (the file's and the chunks' beside each other,
 * off-thread-sha512.ts): this thread reads, copies and sends.
 *
 * Memory: one chunk buffer per read; the caller's backpressure decides how many are alive.
 * An empty file is one empty chunk whose hashes are both SHA-512 of nothing (SPEC §3).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { UploadError } from '../errors.js';
import { runningHashFor, sha512Async } from '../codec/chunk-hash.js';
import type { DataFileChunk } from '../types.js';

export interface FileSnapshot {
  size: number;
  /** mtime in epoch seconds with sub-second precision. */
  mtime: number;
}

export interface FileDigest extends FileSnapshot {
  fileHash: Buffer;
  chunkHashes: Buffer[];
  chunkSize: number;
}

export interface ChunkIdentity {
  filename: string;
  subdirStr: string;
  filenameAppend: string;
}

export async function snapshotFile(path: string): Promise<FileSnapshot> {
  try {
    const info = await stat(path, { bigint: true });
    if (!info.isFile()) throw new UploadError('ERR_FILE_UNREADABLE', `${path} is not a regular file`, { path });
    // Seconds as CPython's os.stat computes st_mtime (sec + nsec * 1e-9), so both sides agree.
    const mtime = Number(info.mtimeNs / 1_000_000_000n) + Number(info.mtimeNs % 1_000_000_000n) * 1e-9;
    return { size: Number(info.size), mtime };
  } catch (err) {
    throw fileError(err, path);
  }
}

export function sameSnapshot(a: FileSnapshot, b: FileSnapshot): boolean {
  return a.size === b.size && a.mtime === b.mtime;
}

/** First pass: SHA-512 of the file and of every chunk, streaming. */
export async function digestFile(path: string, chunkSize: number): Promise<FileDigest> {
  const before = await snapshotFile(path);
  // Small files are hashed inline: a trip to a worker would cost more than the hashing.
  const fileHash = runningHashFor(before.size, 'files');
  const newChunkHash = () => runningHashFor(Math.min(chunkSize, before.size), 'chunks');
  const chunkHashes: Array<Buffer | Promise<Buffer>> = [];
  let chunkHash = newChunkHash();
  let inChunk = 0;
  let total = 0;
  try {
    for await (const piece of createReadStream(path, { highWaterMark: Math.min(chunkSize, 1 << 20) }) as AsyncIterable<Buffer>) {
      await fileHash.update(piece);
      total += piece.length;
      let at = 0;
      while (at < piece.length) {
        const take = Math.min(chunkSize - inChunk, piece.length - at);
        await chunkHash.update(piece.subarray(at, at + take));
        inChunk += take;
        at += take;
        if (inChunk === chunkSize) {
          chunkHashes.push(chunkHash.digest());
          chunkHash = newChunkHash();
          inChunk = 0;
        }
      }
    }
  } catch (err) {
    fileHash.dispose();
    chunkHash.dispose();
    await Promise.allSettled(chunkHashes);
    throw fileError(err, path);
  }
  if (inChunk > 0 || chunkHashes.length === 0) chunkHashes.push(chunkHash.digest());
  else chunkHash.dispose();
  const digests = await Promise.all([fileHash.digest(), ...chunkHashes]);
  const after = await snapshotFile(path);
  if (!sameSnapshot(before, after) || total !== after.size) {
    throw new UploadError('ERR_FILE_CHANGED', `${path} changed while it was being hashed`, { path });
  }
  return { ...after, fileHash: digests[0]!, chunkHashes: digests.slice(1), chunkSize };
}

/** Second pass: every chunk, re-read and checked against the digest. */
export async function* readChunks(path: string, digest: FileDigest, identity: ChunkIdentity): AsyncGenerator<DataFileChunk> {
  const nTotalChunks = digest.chunkHashes.length;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw fileError(err, path);
  }
  try {
    for (let i = 0; i < nTotalChunks; i++) {
      const offset = i * digest.chunkSize;
      const length = Math.max(0, Math.min(digest.chunkSize, digest.size - offset));
      const data = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(data, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      const chunkHash = await sha512Async(data.subarray(0, filled));
      if (filled !== length || !chunkHash.equals(digest.chunkHashes[i]!)) {
        throw new UploadError('ERR_FILE_CHANGED', `${path} changed while it was being sent (chunk ${i + 1})`, { path });
      }
      yield {
        ...identity,
        fileHash: digest.fileHash,
        chunkHash,
        chunkOffsetWrite: offset,
        chunkI: i + 1,
        nTotalChunks,
        data,
        fileMtime: digest.mtime > 0 ? digest.mtime : null,
      };
    }
  } catch (err) {
    throw fileError(err, path);
  } finally {
    await handle.close();
  }
}

export function fileError(err: unknown, path: string): Error {
  if (err instanceof UploadError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new UploadError('ERR_FILE_VANISHED', `${path} no longer exists`, { path }, err);
  return new UploadError('ERR_FILE_UNREADABLE', `cannot read ${path}: ${(err as Error)?.message ?? String(err)}`, { path }, err);
}
