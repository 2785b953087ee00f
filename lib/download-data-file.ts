/**
 * A reconstructed, hash-verified file as processing code sees it (the seed's DownloadDataFile).
 * `bytestring` is a Buffer in every mode: held in memory mode, read lazily from `fullFilepath`
 * in disk mode (and cached after the first read).
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { FileIdentity } from './types.js';

export type ConsumerMode = 'memory' | 'disk' | 'both';

/** Where a file's bytes are: held in memory, written to disk, or both. Its size is beside them. */
export interface FileBytes {
  size: number;
  /** The bytes, when held in memory. */
  data?: Buffer;
  /** The file on disk, when written (disk and both modes, or spilled). */
  fullFilepath?: string;
}

/**
 * The file's identity (lib/types.ts) as processing code has always seen it: the output path and
 * base name (`filename_append` applied) under the seed's names, and where its bytes are.
 */
export type DownloadDataFileInit = Pick<FileIdentity, 'subdirStr' | 'fileHash' | 'nTotalChunks' | 'fileMtime'> & FileBytes & {
  relativeFilepath: string;
  filename: string;
};

export class DownloadDataFile {
  readonly relativeFilepath: string;
  readonly subdirStr: string;
  readonly filename: string;
  readonly fileHash: Buffer;
  readonly nTotalChunks: number;
  readonly size: number;
  readonly fileMtime: number | null;
  readonly fullFilepath: string | undefined;
  #data: Buffer | undefined;

  /** The file with this identity (a FileRef is one), with its bytes or its path. */
  static fromRef(identity: FileIdentity, where: FileBytes): DownloadDataFile {
    const { relativePath, subdirStr, fileHash, nTotalChunks, fileMtime } = identity;
    return new DownloadDataFile({ relativeFilepath: relativePath, filename: relativePath.split('/').at(-1)!, subdirStr, fileHash, nTotalChunks, fileMtime, ...where });
  }

  constructor(init: DownloadDataFileInit) {
    this.relativeFilepath = init.relativeFilepath;
    this.subdirStr = init.subdirStr;
    this.filename = init.filename;
    this.fileHash = init.fileHash;
    this.nTotalChunks = init.nTotalChunks;
    this.size = init.size;
    this.fileMtime = init.fileMtime;
    this.fullFilepath = init.fullFilepath;
    this.#data = init.data;
  }

  /** Hex SHA-512 of the whole file. */
  get fileHashHex(): string {
    return this.fileHash.toString('hex');
  }

  /** The file's bytes (read from disk on first use in disk mode). */
  get bytestring(): Buffer {
    if (this.#data === undefined) {
      if (this.fullFilepath === undefined) throw new Error('file has neither bytes nor a path');
      this.#data = readFileSync(this.fullFilepath);
    }
    return this.#data;
  }

  /** The bytes without blocking the event loop. */
  async read(): Promise<Buffer> {
    if (this.#data === undefined && this.fullFilepath !== undefined) this.#data = await readFile(this.fullFilepath);
    return this.bytestring;
  }

  get inMemory(): boolean {
    return this.#data !== undefined;
  }

  /** Drops the in-memory bytes once processing is done, so the budget can be given back. */
  release(): void {
    if (this.fullFilepath !== undefined) this.#data = undefined;
  }

  toJSON(): Record<string, unknown> {
    return { relativeFilepath: this.relativeFilepath, size: this.size, nTotalChunks: this.nTotalChunks, fileHash: this.fileHashHex, fullFilepath: this.fullFilepath };
  }
}
