/**
 * UploadRegistry: the uploader's record of what reached the broker, so a restarted
 * upload-directory resends only what was not acknowledged. Two CSV files under `<dir>/LOGS/`,
 * named and laid out as OpenMSIStream's ProducerFileRegistry
 * (openmsistream/data_file_io/actor/file_registry/producer_file_registry.py):
 *
 *   upload_to_<topic>_in_progress.csv
 *     filename;rel_filepath;n_chunks;n_chunks_delivered;n_chunks_to_send;started;
 *     chunks_delivered;chunks_to_send  (sets printed as Python does: `{1, 2}`, `set()`)
 *     + file_size;file_mtime;file_hash  (this toolkit's trailing columns)
 *   uploaded_to_<topic>.csv
 *     filename;rel_filepath;n_chunks;started;completed  + file_size;file_mtime;file_hash
 *
 * `file_mtime` is epoch seconds (as on the wire), `file_hash` hex SHA-512, timestamps ISO-8601
 * with offset. The trailing columns tie a row to one content of the path: a file rewritten since
 * (other size or mtime) is neither "uploaded" nor resumable. Rows without them (written by
 * OpenMSIStream) count as uploaded, as OpenMSIStream treats them, but are never resumed from.
 *
 * In:  `markStarted` -> `markChunkAcked`* -> `markUploaded`; memory only until `flush()`, which
 *      appends uploaded rows (fsync) and then rewrites the in-progress table if it changed.
 * Out: `isUploaded`, `chunksToSend`, `inProgressFiles`.
 * Errors: I/O is ERR_REGISTRY_IO; bad arguments ERR_INVALID_ARGUMENT.
 */

import { basename, join } from 'node:path';
import { DataFileStreamError } from '../errors.js';
import { CsvTable, type CsvRow } from './csv-table.js';
import { fileHashHex, formatIntSet, isFileHashHex, isOpenMsiStreamTimestamp, isoTimestamp, parseIntSet, parseTimestamp, unwrapPythonRepr } from './registry-values.js';

export const UPLOAD_IN_PROGRESS_COLUMNS = [
  'filename',
  'rel_filepath',
  'n_chunks',
  'n_chunks_delivered',
  'n_chunks_to_send',
  'started',
  'chunks_delivered',
  'chunks_to_send',
  'file_size',
  'file_mtime',
  'file_hash',
] as const;
export const UPLOADED_COLUMNS = ['filename', 'rel_filepath', 'n_chunks', 'started', 'completed', 'file_size', 'file_mtime', 'file_hash'] as const;
type InProgressColumn = (typeof UPLOAD_IN_PROGRESS_COLUMNS)[number];
type UploadedColumn = (typeof UPLOADED_COLUMNS)[number];

/** One content of a file: what `isUploaded` and resuming compare. */
export interface UploadFileInfo {
  /** Bytes. */
  size: number;
  /** Modification time in epoch milliseconds (`fs.Stats.mtimeMs`). */
  mtimeMs: number;
  nChunks: number;
  /** Raw SHA-512 digest or its hex, when already known. */
  fileHash?: Buffer | string;
}

export interface UploadInProgressEntry {
  filename: string;
  relativeFilepath: string;
  nChunks: number;
  started: Date;
  /** 1-based indices of chunks the broker acknowledged. */
  chunksDelivered: Set<number>;
  /** Undefined for rows written by OpenMSIStream. */
  size?: number;
  /** Epoch seconds; undefined for rows written by OpenMSIStream. */
  mtime?: number;
  fileHash?: string;
}

export interface UploadRegistryOptions {
  /** The watched directory; the tables live in its `LOGS/` subdirectory. */
  dir: string;
  topic: string;
  now?: () => Date;
}

interface UploadedRecord {
  size?: number;
  mtime?: number;
}

function invalid(message: string, path?: string, option?: string): DataFileStreamError {
  return new DataFileStreamError('ERR_INVALID_ARGUMENT', message, { path, option });
}

function checkInfo(relativeFilepath: string, size: number, mtimeMs: number): void {
  if (typeof relativeFilepath !== 'string' || relativeFilepath === '') throw invalid('relative path must be a non-empty string', relativeFilepath);
  if (!Number.isSafeInteger(size) || size < 0) throw invalid(`size must be a non-negative integer, got ${size}`, relativeFilepath, 'size');
  if (!Number.isFinite(mtimeMs)) throw invalid(`mtimeMs must be a finite number, got ${mtimeMs}`, relativeFilepath, 'mtimeMs');
}

const optionalNumber = (cell: string): number | undefined => (cell.trim() === '' || !Number.isFinite(Number(cell)) ? undefined : Number(cell));

export class UploadRegistry {
  readonly logsDir: string;
  readonly inProgressPath: string;
  readonly uploadedPath: string;
  #inProgressTable: CsvTable<InProgressColumn>;
  #uploadedTable: CsvTable<UploadedColumn>;
  #inProgress = new Map<string, UploadInProgressEntry>();
  #uploaded = new Map<string, UploadedRecord>();
  #dirty = false;
  #closed = false;
  #flushing: Promise<void> | undefined;
  /** The flush that starts when #flushing ends, shared by every call made meanwhile. */
  #nextFlush: Promise<void> | undefined;
  #now: () => Date;

  private constructor(
    paths: { logsDir: string; inProgressPath: string; uploadedPath: string },
    inProgress: CsvTable<InProgressColumn>,
    uploaded: CsvTable<UploadedColumn>,
    now: () => Date,
  ) {
    this.logsDir = paths.logsDir;
    this.inProgressPath = paths.inProgressPath;
    this.uploadedPath = paths.uploadedPath;
    this.#inProgressTable = inProgress;
    this.#uploadedTable = uploaded;
    this.#now = now;
  }

  static async open(options: UploadRegistryOptions): Promise<UploadRegistry> {
    const topic = options.topic;
    if (typeof topic !== 'string' || topic === '' || topic === '.' || topic === '..' || /[/\\\0]/.test(topic)) {
      throw invalid(`topic cannot name a registry file: ${JSON.stringify(options.topic)}`, undefined, 'topic');
    }
    const logsDir = join(options.dir, 'LOGS');
    const inProgressPath = join(logsDir, `upload_to_${options.topic}_in_progress.csv`);
    const uploadedPath = join(logsDir, `uploaded_to_${options.topic}.csv`);
    const uploaded = await CsvTable.open(uploadedPath, UPLOADED_COLUMNS);
    let inProgress: CsvTable<InProgressColumn>;
    try {
      inProgress = await CsvTable.open(inProgressPath, UPLOAD_IN_PROGRESS_COLUMNS);
    } catch (err) {
      await uploaded.close().catch(() => undefined);
      throw err;
    }
    const registry = new UploadRegistry({ logsDir, inProgressPath, uploadedPath }, inProgress, uploaded, options.now ?? (() => new Date()));
    registry.#load();
    return registry;
  }

  /**
   * An upload of this content of the file begins. Resumes the existing row when it describes the
   * same content (size, mtime, chunk count, and hash when both are known); otherwise starts over.
   * Returns the 1-based chunk indices still to send.
   */
  markStarted(relativeFilepath: string, info: UploadFileInfo): number[] {
    this.#assertOpen();
    checkInfo(relativeFilepath, info.size, info.mtimeMs);
    if (!Number.isSafeInteger(info.nChunks) || info.nChunks < 1) throw invalid(`nChunks must be a positive integer, got ${info.nChunks}`, relativeFilepath, 'nChunks');
    const hash = info.fileHash === undefined ? undefined : fileHashHex(info.fileHash, relativeFilepath);
    const mtime = info.mtimeMs / 1000;
    const existing = this.#inProgress.get(relativeFilepath);
    const same =
      existing !== undefined &&
      existing.size === info.size &&
      existing.mtime === mtime &&
      existing.nChunks === info.nChunks &&
      (hash === undefined || existing.fileHash === undefined || hash === existing.fileHash);
    if (same) {
      if (hash !== undefined && existing.fileHash === undefined) {
        existing.fileHash = hash;
        this.#dirty = true;
      }
      return missingChunks(existing);
    }
    const entry: UploadInProgressEntry = {
      filename: basename(relativeFilepath),
      relativeFilepath,
      nChunks: info.nChunks,
      started: this.#now(),
      chunksDelivered: new Set(),
      size: info.size,
      mtime,
      ...(hash === undefined ? {} : { fileHash: hash }),
    };
    this.#inProgress.set(relativeFilepath, entry);
    this.#dirty = true;
    return missingChunks(entry);
  }

  /**
   * The broker acknowledged chunk `chunkI` (1-based). Returns true when every chunk of the file
   * is now acknowledged. An ack for a path not in progress (late, after `markUploaded`) is ignored.
   */
  markChunkAcked(relativeFilepath: string, chunkI: number): boolean {
    this.#assertOpen();
    const entry = this.#inProgress.get(relativeFilepath);
    if (entry === undefined) return false;
    if (!Number.isSafeInteger(chunkI) || chunkI < 1 || chunkI > entry.nChunks) {
      throw invalid(`chunk ${chunkI} is outside 1..${entry.nChunks}`, relativeFilepath, 'chunkI');
    }
    if (!entry.chunksDelivered.has(chunkI)) {
      entry.chunksDelivered.add(chunkI);
      this.#dirty = true;
    }
    return entry.chunksDelivered.size === entry.nChunks;
  }

  /**
   * Every chunk of the file is acknowledged: move it to the uploaded table. Values not given are
   * taken from its in-progress row; a file never started must give size and mtimeMs.
   */
  markUploaded(relativeFilepath: string, info: Partial<UploadFileInfo> & { fileHash?: Buffer | string } = {}): void {
    this.#assertOpen();
    const entry = this.#inProgress.get(relativeFilepath);
    const size = info.size ?? entry?.size;
    const mtime = info.mtimeMs !== undefined ? info.mtimeMs / 1000 : entry?.mtime;
    const nChunks = info.nChunks ?? entry?.nChunks;
    if (size === undefined || mtime === undefined || nChunks === undefined) {
      throw invalid('markUploaded needs size, mtimeMs and nChunks for a file that was never started', relativeFilepath);
    }
    checkInfo(relativeFilepath, size, mtime * 1000);
    const hash = fileHashHex(info.fileHash ?? entry?.fileHash, relativeFilepath);
    const now = this.#now();
    this.#uploadedTable.append({
      filename: basename(relativeFilepath),
      rel_filepath: relativeFilepath,
      n_chunks: nChunks,
      started: isoTimestamp(entry?.started ?? now),
      completed: isoTimestamp(now),
      file_size: size,
      file_mtime: String(mtime),
      file_hash: hash,
    });
    this.#uploaded.set(relativeFilepath, { size, mtime });
    if (entry !== undefined) {
      this.#inProgress.delete(relativeFilepath);
      this.#dirty = true;
    }
  }

  /** True when this content of the path (size and mtime) was completely uploaded before. */
  isUploaded(relativeFilepath: string, size: number, mtimeMs: number): boolean {
    const record = this.#uploaded.get(relativeFilepath);
    if (record === undefined) return false;
    if (record.size === undefined || record.mtime === undefined) return true;
    return record.size === size && record.mtime === mtimeMs / 1000;
  }

  /**
   * Chunks still to send when this content of the path was partly uploaded before, or undefined
   * when there is nothing to resume (send everything).
   */
  chunksToSend(relativeFilepath: string, size: number, mtimeMs: number): number[] | undefined {
    const entry = this.#inProgress.get(relativeFilepath);
    if (entry === undefined || entry.size !== size || entry.mtime !== mtimeMs / 1000) return undefined;
    return missingChunks(entry);
  }

  inProgressFiles(): UploadInProgressEntry[] {
    return [...this.#inProgress.values()].map((entry) => ({ ...entry, chunksDelivered: new Set(entry.chunksDelivered) }));
  }

  /**
   * Makes every change so far durable (uploaded rows first, then the in-progress table). Calls
   * made while a flush is writing share the one flush that follows it: a directory of small
   * files finishing together costs two writes, not one per file.
   */
  flush(): Promise<void> {
    if (this.#flushing === undefined) {
      const run = this.#flushNow().finally(() => {
        if (this.#flushing === run) this.#flushing = undefined;
      });
      this.#flushing = run;
      return run;
    }
    this.#nextFlush ??= this.#flushing
      .catch(() => undefined)
      .then(() => {
        this.#nextFlush = undefined;
        return this.flush();
      });
    return this.#nextFlush;
  }

  async #flushNow(): Promise<void> {
    await this.#uploadedTable.flush();
    if (!this.#dirty) return;
    this.#dirty = false;
    try {
      await this.#inProgressTable.rewrite([...this.#inProgress.values()].map(toInProgressRow));
    } catch (err) {
      this.#dirty = true;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      await Promise.allSettled([this.#uploadedTable.close(), this.#inProgressTable.close()]);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new DataFileStreamError('ERR_REGISTRY_IO', 'upload registry is closed', { path: this.logsDir });
  }

  #load(): void {
    for (const row of this.#uploadedTable.takeExistingRows()) {
      const legacy = isOpenMsiStreamTimestamp(row.completed);
      const relativeFilepath = legacy ? unwrapPythonRepr(row.rel_filepath) : row.rel_filepath;
      if (relativeFilepath === '') continue;
      const size = optionalNumber(row.file_size);
      const mtime = optionalNumber(row.file_mtime);
      this.#uploaded.set(relativeFilepath, size === undefined || mtime === undefined ? {} : { size, mtime });
    }
    for (const row of this.#inProgressTable.takeExistingRows()) {
      const entry = fromInProgressRow(row);
      if (entry !== undefined) this.#inProgress.set(entry.relativeFilepath, entry);
      else this.#dirty = true;
    }
  }
}

function missingChunks(entry: UploadInProgressEntry): number[] {
  const out: number[] = [];
  for (let i = 1; i <= entry.nChunks; i++) if (!entry.chunksDelivered.has(i)) out.push(i);
  return out;
}

function toInProgressRow(entry: UploadInProgressEntry): Record<InProgressColumn, string | number> {
  const toSend = missingChunks(entry);
  return {
    filename: entry.filename,
    rel_filepath: entry.relativeFilepath,
    n_chunks: entry.nChunks,
    n_chunks_delivered: entry.chunksDelivered.size,
    n_chunks_to_send: toSend.length,
    started: isoTimestamp(entry.started),
    chunks_delivered: formatIntSet(entry.chunksDelivered),
    chunks_to_send: formatIntSet(toSend),
    file_size: entry.size ?? '',
    file_mtime: entry.mtime === undefined ? '' : String(entry.mtime),
    file_hash: entry.fileHash ?? '',
  };
}

function fromInProgressRow(row: CsvRow<InProgressColumn>): UploadInProgressEntry | undefined {
  const legacy = isOpenMsiStreamTimestamp(row.started);
  const text = (cell: string): string => (legacy ? unwrapPythonRepr(cell) : cell);
  const relativeFilepath = text(row.rel_filepath);
  const nChunks = /^\d+$/.test(row.n_chunks) ? Number(row.n_chunks) : NaN;
  const started = parseTimestamp(row.started);
  const delivered = parseIntSet(row.chunks_delivered);
  if (relativeFilepath === '' || !Number.isSafeInteger(nChunks) || nChunks < 1 || started === undefined || delivered === undefined) return undefined;
  const chunksDelivered = new Set([...delivered].filter((i) => i >= 1 && i <= nChunks));
  const size = optionalNumber(row.file_size);
  const mtime = optionalNumber(row.file_mtime);
  const fileHash = isFileHashHex(row.file_hash) ? row.file_hash.toLowerCase() : undefined;
  return {
    filename: text(row.filename),
    relativeFilepath,
    nChunks,
    started,
    chunksDelivered,
    ...(size === undefined ? {} : { size }),
    ...(mtime === undefined ? {} : { mtime }),
    ...(fileHash === undefined ? {} : { fileHash }),
  };
}
