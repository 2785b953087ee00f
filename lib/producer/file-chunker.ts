/**
 * Reads one file as the wire format wants it: a first pass hashes the whole file and each chunk,
 * and takes each chunk's CRC-32C (68 bytes kept per chunk, never the data); `readChunkRecords`
 * then yields the chunks one at a time, re-read from disk into their record values and checked
 * against the first pass by CRC-32C, so a file that changes while it is being sent is caught
 * chunk by chunk (ERR_FILE_CHANGED) as well as by size/mtime. A third SHA-512 pass would catch
 * the same change at about eight times the cost; the chunk_hash sent is the first pass's SHA-512,
 * and the CRC match ties it to the bytes sent. A change the CRC misses (one in 2^32) still never
 * passes as data: its chunk_hash no longer matches, and consumers verify every chunk's SHA-512.
 * The hashing runs on worker threads (the file's and the chunks' beside each other,
 * off-thread-sha512.ts): this thread reads, CRCs, copies to the workers and sends.
 *
 * Memory: the first pass reuses one buffer; the second allocates one record per chunk, and the
 * caller's backpressure decides how many are alive.
 * An empty file is one empty chunk whose hashes are both SHA-512 of nothing (SPEC §3).
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { UploadError } from '../errors.js';
import { runningHashFor, sha512Async } from '../codec/chunk-hash.js';
import { allocateChunkRecord, type EncodeOptions } from '../codec/chunk-codec.js';
import type { DataFileChunk } from '../types.js';
import { chunkCrc32c } from './chunk-crc32c.js';

export interface FileSnapshot {
  size: number;
  /** mtime in epoch seconds with sub-second precision. */
  mtime: number;
}

export interface FileDigest extends FileSnapshot {
  fileHash: Buffer;
  chunkHashes: Buffer[];
  /**
   * CRC-32C of each chunk as the first read saw it, for checking the second read cheaply
   * (chunk-crc32c.ts). Absent without the native CRC (or in a digest made elsewhere): the second
   * read is then checked by SHA-512.
   */
  chunkCrcs?: number[];
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

/** The first read's buffer holds one chunk, or this much of a bigger one. */
const READ_BYTES = 1024 * 1024;

/**
 * First pass: SHA-512 of the file and of every chunk, and each chunk's CRC-32C. One buffer is
 * read into again and again; its bytes go to both hash workers at once (one core each) and are
 * CRC'd here, so the second read can be checked against exactly the bytes that were hashed.
 */
export async function digestFile(path: string, chunkSize: number): Promise<FileDigest> {
  const before = await snapshotFile(path);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw fileError(err, path);
  }
  let pass: FirstPass;
  try {
    pass = await hashChunks(handle, before.size, chunkSize);
  } catch (err) {
    throw fileError(err, path);
  } finally {
    await handle.close();
  }
  const after = await snapshotFile(path);
  if (!sameSnapshot(before, after) || pass.total !== after.size) {
    throw new UploadError('ERR_FILE_CHANGED', `${path} changed while it was being hashed`, { path });
  }
  return { ...after, fileHash: pass.fileHash, chunkHashes: pass.chunkHashes, chunkCrcs: pass.chunkCrcs, chunkSize };
}

interface FirstPass {
  total: number;
  fileHash: Buffer;
  chunkHashes: Buffer[];
  chunkCrcs: number[] | undefined;
}

async function hashChunks(handle: FileHandle, expectedSize: number, chunkSize: number): Promise<FirstPass> {
  // Small files are hashed inline: a trip to a worker would cost more than the hashing.
  const fileHash = runningHashFor(expectedSize, 'files');
  const newChunkHash = () => runningHashFor(Math.min(chunkSize, expectedSize), 'chunks');
  // Sized to the file when it is small: a many-file upload then reads from Node's shared slab.
  const buffer = Buffer.allocUnsafe(Math.min(chunkSize, READ_BYTES, Math.max(expectedSize, 4096)));
  const chunkHashes: Array<Buffer | Promise<Buffer>> = [];
  const crcs: number[] = [];
  let chunkHash = newChunkHash();
  let crc = 0;
  let inChunk = 0;
  let total = 0;
  const endChunk = (): void => {
    chunkHashes.push(chunkHash.digest());
    crcs.push(crc);
  };
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, chunkSize - inChunk), total);
      if (bytesRead === 0) break;
      const piece = buffer.subarray(0, bytesRead);
      crc = chunkCrc32c?.(piece, crc) ?? 0;
      // Both workers have copied the piece once both promises resolved: the buffer is free again.
      await Promise.all([fileHash.update(piece), chunkHash.update(piece)]);
      total += bytesRead;
      inChunk += bytesRead;
      if (inChunk === chunkSize) {
        endChunk();
        chunkHash = newChunkHash();
        crc = 0;
        inChunk = 0;
      }
    }
  } catch (err) {
    fileHash.dispose();
    chunkHash.dispose();
    await Promise.allSettled(chunkHashes);
    throw err;
  }
  if (inChunk > 0 || chunkHashes.length === 0) endChunk();
  else chunkHash.dispose();
  const [whole, ...chunks] = await Promise.all([fileHash.digest(), ...chunkHashes]);
  return { total, fileHash: whole!, chunkHashes: chunks, chunkCrcs: chunkCrc32c ? crcs : undefined };
}

/** A chunk read the second time, and the record value that carries it (`chunk.data` is a view of `value`). */
export interface ChunkRead {
  chunk: DataFileChunk;
  value: Buffer;
}

/**
 * Second pass: every chunk re-read from disk straight into its record value (no copy), and
 * compared with the first read by CRC-32C; its chunk_hash is the first read's SHA-512 of the same
 * bytes. A chunk that differs is ERR_FILE_CHANGED.
 */
export async function* readChunkRecords(
  path: string,
  digest: FileDigest,
  identity: ChunkIdentity,
  options: EncodeOptions & { allocate?: (bytes: number) => Buffer } = {},
): AsyncGenerator<ChunkRead> {
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
      const fields = {
        ...identity,
        fileHash: digest.fileHash,
        chunkHash: digest.chunkHashes[i]!,
        chunkOffsetWrite: offset,
        chunkI: i + 1,
        nTotalChunks,
        fileMtime: digest.mtime > 0 ? digest.mtime : null,
      };
      const { value, data } = allocateChunkRecord(fields, length, options, options.allocate);
      const filled = await readFully(handle, data, offset);
      if (filled !== length || !(await sameAsFirstRead(data, digest, i))) {
        throw new UploadError('ERR_FILE_CHANGED', `${path} changed while it was being sent (chunk ${i + 1})`, { path });
      }
      yield { chunk: { ...fields, data }, value };
    }
  } catch (err) {
    throw fileError(err, path);
  } finally {
    await handle.close();
  }
}

/** Second pass, as chunks (readChunkRecords without the record values). */
export async function* readChunks(path: string, digest: FileDigest, identity: ChunkIdentity): AsyncGenerator<DataFileChunk> {
  for await (const { chunk } of readChunkRecords(path, digest, identity)) yield chunk;
}

async function readFully(handle: FileHandle, into: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const { bytesRead } = await handle.read(into, filled, into.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** Chunk `i` holds the bytes the first pass hashed: by CRC-32C, or by SHA-512 when there is no native CRC or digest has none. */
async function sameAsFirstRead(data: Buffer, digest: FileDigest, i: number): Promise<boolean> {
  if (chunkCrc32c && digest.chunkCrcs) return chunkCrc32c(data) === digest.chunkCrcs[i];
  return (await sha512Async(data)).equals(digest.chunkHashes[i]!);
}

export function fileError(err: unknown, path: string): Error {
  if (err instanceof UploadError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new UploadError('ERR_FILE_VANISHED', `${path} no longer exists`, { path }, err);
  return new UploadError('ERR_FILE_UNREADABLE', `cannot read ${path}: ${(err as Error)?.message ?? String(err)}`, { path }, err);
}
