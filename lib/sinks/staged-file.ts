/**
 * One partial file on disk, in the staging directory beside the output tree: positional writes
 * in any order, a SHA-512 kept incrementally while chunks arrive in order (and computed by one
 * streaming read otherwise), one fsync, then an atomic rename into its final path. A final path
 * therefore never holds a partial or wrong file (SPEC §4).
 *
 * Staging names are derived from the file's identity and hash, so the same generation written
 * again after a restart lands in the same staging file and finds its earlier chunks there.
 */
import { constants, createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { DataFileStreamError } from '../errors.js';
import { crashPoint } from '../faults/crash-point.js';
import { assertNoSymlinkEscape, resolveInside } from '../paths/safe-path.js';

export function stagingName(key: string, fileHashHex: string): string {
  return `${createHash('sha256').update(key).update('\0').update(fileHashHex).digest('hex').slice(0, 40)}.part`;
}

export class StagedFile {
  readonly path: string;
  #handle: FileHandle | undefined;
  #opening: Promise<FileHandle> | undefined;
  #hash: Hash | undefined = createHash('sha512');
  #nextOffset = 0;
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
    if (this.#hash && offset === this.#nextOffset) {
      this.#hash.update(data);
      this.#nextOffset += data.length;
    } else {
      this.#hash = undefined; // out of order: hash by reading the file back at the end
    }
  }

  /** Bytes already in the file from an earlier run (restored from the journal). */
  noteExisting(offset: number, length: number): void {
    this.#size = Math.max(this.#size, offset + length);
    this.#hash = undefined;
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
    if (this.#hash && this.#nextOffset === this.#size) return this.#hash.digest();
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

  /** fsync, close, and rename into `root/relativePath`, refusing symlinks on the way. */
  async commit(root: string, relativePath: string): Promise<string> {
    const handle = await this.#open();
    try {
      await handle.truncate(this.#size); // a longer leftover from an earlier run is cut to size
      await handle.sync();
    } catch (err) {
      throw diskError(err, this.path);
    }
    await this.close();
    const target = resolveInside(root, relativePath);
    await assertNoSymlinkEscape(root, relativePath);
    try {
      await mkdir(dirname(target), { recursive: true });
      await assertNoSymlinkEscape(root, relativePath);
      crashPoint('before-rename');
      await rename(this.path, target);
      crashPoint('after-rename');
    } catch (err) {
      throw diskError(err, target);
    }
    return target;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
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
      try {
        await mkdir(dirname(this.path), { recursive: true });
        // Read-write, created if missing, never truncated, never through a symlink.
        this.#handle = await open(this.path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
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
