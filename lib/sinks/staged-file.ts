/**
 * One partial file on disk, in the staging directory beside the output tree: positional writes
 * in any order, a SHA-512 kept incrementally while chunks arrive in order (chunks that arrive
 * early are read back once the gap before them fills; a file rewritten behind the hash is hashed
 * by one streaming read at the end; a file of big chunks is hashed on a worker thread that reads
 * the written ranges from the page cache itself, see off-thread-sha512.ts), one fsync, then an
 * atomic rename into its final path. A final path
 * therefore never holds a partial or wrong file (SPEC §4).
 *
 * Staging names (lib/paths/staging-names.ts) derive from the file's identity and hash, so the same
 * generation written again after a restart lands in the same staging file.
 */
import { constants, createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { link, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { inlineHash, OFF_THREAD_MIN_BYTES, type RunningHash } from '../codec/chunk-hash.js';
import { FileRangeSha512 } from '../codec/off-thread-sha512.js';
import { dirname, join } from 'node:path';
import { DataFileStreamError } from '../errors.js';
import { crashPoint } from '../faults/crash-point.js';
import { assertNoSymlinkEscape, resolveInside } from '../paths/safe-path.js';


export class StagedFile {
  readonly path: string;
  #handle: FileHandle | undefined;
  #opening: Promise<FileHandle> | undefined;
  /** False once bytes behind the hash were rewritten: the file is then hashed by reading it. */
  #hashing = true;
  /** Small chunks: hashed inline from their bytes, created with the first in-order chunk. */
  #hash: RunningHash | undefined;
  /** Big chunks: hashed on the worker from the file, created with the first in-order chunk. */
  #byRange: FileRangeSha512 | undefined;
  #nextOffset = 0;
  /**
   * Chunks written ahead of `#nextOffset` (offset -> length). When the gap before them fills,
   * they are read back (from the page cache) into the hash, so a little reordering (a producer
   * with several requests in flight, a file spread over partitions) costs a read of those
   * chunks, not of the whole file at the end.
   */
  #ahead = new Map<number, number>();
  #size = 0;
  #closed = false;

  constructor(stagingDir: string, name: string) {
    this.path = join(stagingDir, name);
  }

  get size(): number {
    return this.#size;
  }

  async write(offset: number, data: Buffer): Promise<void> {
    const handle = await this.#open();
    let written = 0;
    try {
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, offset + written);
        written += bytesWritten;
      }
    } catch (err) {
      throw diskError(err, this.path);
    }
    this.#size = Math.max(this.#size, offset + data.length);
    if (!this.#hashing) return;
    if (offset === this.#nextOffset && (this.#byRange || (!this.#hash && data.length >= OFF_THREAD_MIN_BYTES))) {
      // Big chunks: the worker reads what this chunk and the chunks written ahead of it now
      // continue, from the file.
      this.#byRange ??= new FileRangeSha512(this.path);
      let end = offset + data.length;
      for (let length = this.#ahead.get(end); length !== undefined; length = this.#ahead.get(end)) {
        this.#ahead.delete(end);
        end += length;
      }
      this.#byRange.update(offset, end - offset);
      this.#nextOffset = end;
    } else if (offset === this.#nextOffset) {
      await this.#update(data);
      this.#nextOffset += data.length;
      await this.#catchUp();
    } else if (offset > this.#nextOffset && !this.#ahead.has(offset)) {
      this.#ahead.set(offset, data.length);
    } else {
      this.#abandonHash(); // bytes behind the hash were written again: read the file at the end
    }
  }

  async #update(data: Buffer): Promise<void> {
    this.#hash ??= inlineHash();
    await this.#hash.update(data);
  }

  #abandonHash(): void {
    this.#hashing = false;
    this.#hash?.dispose();
    this.#hash = undefined;
    this.#byRange?.dispose();
    this.#byRange = undefined;
    this.#ahead.clear();
  }

  /** Hashes the chunks written ahead that now continue the hashed prefix. */
  async #catchUp(): Promise<void> {
    for (let length = this.#ahead.get(this.#nextOffset); length !== undefined && this.#hashing; length = this.#ahead.get(this.#nextOffset)) {
      this.#ahead.delete(this.#nextOffset);
      const piece = await this.readRange(this.#nextOffset, length);
      if (piece.length < length) {
        this.#abandonHash(); // cannot happen for bytes just written; fall back to the full read
        return;
      }
      await this.#update(piece);
      this.#nextOffset += length;
    }
  }

  /** `length` bytes from `offset`, read back (from the page cache, usually). */
  async readRange(offset: number, length: number): Promise<Buffer> {
    const handle = await this.#open();
    const piece = Buffer.allocUnsafe(length);
    let filled = 0;
    try {
      while (filled < length) {
        const { bytesRead } = await handle.read(piece, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (err) {
      throw diskError(err, this.path);
    }
    return piece.subarray(0, filled);
  }

  /** Bytes already in the file from an earlier run (restored from the journal). */
  noteExisting(offset: number, length: number): void {
    this.#size = Math.max(this.#size, offset + length);
    this.#abandonHash();
  }

  /** fsync without closing: the bytes written so far survive a crash. */
  async sync(): Promise<void> {
    const handle = await this.#open();
    try {
      await handle.sync();
    } catch (err) {
      throw diskError(err, this.path);
    }
  }

  /** SHA-512 of the file's bytes: from the in-order hash, or by reading the file once. */
  async digest(): Promise<Buffer> {
    if (this.#hashing && this.#nextOffset === this.#size && this.#byRange) {
      const byRange = this.#byRange;
      this.#byRange = undefined;
      this.#hashing = false;
      const digest = await byRange.digest().catch(() => undefined); // unreadable: read it here below
      if (digest) return digest;
    } else if (this.#hashing && this.#nextOffset === this.#size) {
      const hash = this.#hash ?? inlineHash();
      this.#hash = undefined;
      this.#hashing = false;
      return hash.digest();
    }
    this.#abandonHash();
    await this.#open();
    const hash = createHash('sha512');
    try {
      for await (const piece of createReadStream(this.path, { highWaterMark: 1 << 20, end: Math.max(0, this.#size - 1), start: 0 }) as AsyncIterable<Buffer>) {
        if (this.#size > 0) hash.update(piece);
      }
    } catch (err) {
      throw diskError(err, this.path);
    }
    return hash.digest();
  }

  /**
   * fsync, close, and rename into `root/relativePath`, refusing symlinks on the way. The rename
   * waits for `placeAfter` (the file before it), so files land in the order they completed
   * while their fsyncs overlap. `keep`: a second name for the file is placed instead (a hard
   * link, renamed into place), and the staging name stays until `discard()`: the journal still
   * counts on it until the file settles.
   */
  async commit(root: string, relativePath: string, placeAfter?: Promise<unknown>, keep = false): Promise<string> {
    const handle = await this.#open();
    try {
      await handle.truncate(this.#size); // a longer leftover from an earlier run is cut to size
      await handle.sync();
    } catch (err) {
      throw diskError(err, this.path);
    }
    await this.close();
    await placeAfter;
    const target = resolveInside(root, relativePath);
    await assertNoSymlinkEscape(root, relativePath);
    const from = keep ? `${this.path}.placing` : this.path;
    try {
      if (keep) {
        await rm(from, { force: true }); // left by a crash between link and rename
        await link(this.path, from);
      }
      crashPoint('before-rename');
      try {
        await rename(from, target);
      } catch (err) {
        // Its directory does not exist yet (the first file there): create it below the checked
        // components, check again, and move the file.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await mkdir(dirname(target), { recursive: true });
        await assertNoSymlinkEscape(root, relativePath);
        await rename(from, target);
      }
      crashPoint('after-rename');
      // Placed again after a restart, the target may already be this file: rename then keeps both names.
      if (keep) await rm(from, { force: true });
    } catch (err) {
      throw diskError(err, target);
    }
    return target;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hash?.dispose();
    this.#byRange?.dispose();
    const handle = this.#handle ?? (this.#opening ? await this.#opening.catch(() => undefined) : undefined);
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  async discard(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
  }

  #open(): Promise<FileHandle> {
    if (this.#handle) return Promise.resolve(this.#handle);
    if (this.#closed) return Promise.reject(new DataFileStreamError('ERR_DISK_WRITE', `staging file ${this.path} is closed`, { path: this.path }));
    this.#opening ??= (async () => {
      // Read-write, created if missing, never truncated, never through a symlink.
      const flags = constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW;
      try {
        try {
          this.#handle = await open(this.path, flags, 0o644);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          await mkdir(dirname(this.path), { recursive: true }); // the first file staged here
          this.#handle = await open(this.path, flags, 0o644);
        }
        return this.#handle;
      } catch (err) {
        throw diskError(err, this.path);
      }
    })();
    return this.#opening;
  }
}

export function diskError(err: unknown, path: string): DataFileStreamError {
  if (err instanceof DataFileStreamError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const what = code === 'ENOSPC' ? 'the disk is full' : (err as Error)?.message ?? String(err);
  return new DataFileStreamError('ERR_DISK_WRITE', `cannot write ${path}: ${what}`, { path, errno: code }, err);
}
