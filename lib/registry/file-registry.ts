/**
 * FileRegistry: the consumer's record of which files are being reconstructed, failed, or done,
 * in OpenMSIStream's two CSV files under `<output_dir>/LOGS/` (SPEC §4):
 *
 *   consuming_from_<topic>_in_progress_by_<group>.csv
 *     filename;rel_filepath;status;n_chunks;first_message;most_recent_message
 *     one row per relative path; status in_progress | failed | mismatched_hash
 *   processed_from_<topic>_by_<group>.csv
 *     filename;rel_filepath;n_chunks;first_message;processed_at;file_hash
 *     append-only; `file_hash` (hex SHA-512) is this toolkit's trailing column, so a file whose
 *     tail is re-read after a restart is recognised and not processed twice
 *
 * Names and columns are OpenMSIStream's StreamProcessorRegistry
 * (openmsistream/data_file_io/actor/file_registry/stream_handler_registries.py); timestamps are
 * ISO-8601 with offset (SPEC), and rows OpenMSIStream wrote itself are still read (see
 * registry-values.ts). A processed table without `file_hash` is upgraded in place.
 *
 * In:  `mark*` calls change memory only; `flush()` makes them durable: processed rows are
 *      appended and fsynced first, then the in-progress table is rewritten if it changed. A
 *      caller commits Kafka offsets covering a file only after the flush that recorded it.
 *      `flushProcessed()` makes only the processed rows durable (one append and fsync), so a
 *      file just processed is not processed again after a crash, long before the next commit.
 * Out: `isProcessed`, `inProgressFiles`, `failedFiles`.
 * Crash between the two writes: the file is in both tables; opening drops an `in_progress` row
 *      whose path was processed at or after its most recent message.
 * Errors: I/O is ERR_REGISTRY_IO (from CsvTable); a bad topic, group or hash ERR_INVALID_ARGUMENT.
 * A failure reason is kept in memory only (OpenMSIStream has no column for it); log it.
 */

import { join } from 'node:path';
import { DataFileStreamError } from '../errors.js';
import type { FileIdentity } from '../types.js';
import { CsvTable, type CsvRow } from './csv-table.js';
import { fileHashHex, isFileHashHex, isOpenMsiStreamTimestamp, isoTimestamp, parseTimestamp, unwrapPythonRepr } from './registry-values.js';

export const IN_PROGRESS_COLUMNS = ['filename', 'rel_filepath', 'status', 'n_chunks', 'first_message', 'most_recent_message'] as const;
export const PROCESSED_COLUMNS = ['filename', 'rel_filepath', 'n_chunks', 'first_message', 'processed_at', 'file_hash'] as const;
type InProgressColumn = (typeof IN_PROGRESS_COLUMNS)[number];
type ProcessedColumn = (typeof PROCESSED_COLUMNS)[number];

export const FILE_STATUS = { inProgress: 'in_progress', failed: 'failed', mismatchedHash: 'mismatched_hash', skipped: 'skipped' } as const;
export type FileStatus = (typeof FILE_STATUS)[keyof typeof FILE_STATUS];

/** What the registry needs to know about a file (a DownloadDataFile fits; `registryFile` makes one of a FileIdentity). */
export interface RegistryFile {
  /** The output base name (`filename_append` applied), as OpenMSIStream's tables hold it. */
  filename: string;
  /** Path relative to the output directory, `/` separators. */
  relativeFilepath: string;
  nTotalChunks: number;
  /** Raw SHA-512 digest or its hex; required by `markProcessed`. */
  fileHash?: Buffer | string;
}

/** A file's row identity in the registry's tables, from the pipeline's one file identity. */
export function registryFile(file: Pick<FileIdentity, 'relativePath' | 'nTotalChunks' | 'fileHash'>): RegistryFile & { fileHash: Buffer } {
  return { filename: file.relativePath.split('/').at(-1)!, relativeFilepath: file.relativePath, nTotalChunks: file.nTotalChunks, fileHash: file.fileHash };
}

export interface InProgressEntry {
  filename: string;
  relativeFilepath: string;
  /** One of FILE_STATUS; other text when an OpenMSIStream tool wrote the row. */
  status: FileStatus | string;
  nChunks: number;
  firstMessage: Date;
  mostRecentMessage: Date;
  /** Why it failed, when this process recorded the failure. Not persisted. */
  reason?: string;
}

export interface FileRegistryOptions {
  /** The output directory; the tables live in its `LOGS/` subdirectory. */
  dir: string;
  topic: string;
  group: string;
  /**
   * The processed table's file name in `LOGS/` (default `processed_from_<topic>_by_<group>.csv`);
   * a reproducer's is OpenMSIStream's `results_produced_to_<producer topic>.csv`.
   */
  processedName?: string;
  /** The in-progress status a failure is recorded with (default `failed`); a reproducer's depends on why it failed. */
  failedStatus?: (reason: string | Error | undefined) => string;
  /** Clock, for tests. */
  now?: () => Date;
}

/** Counts of what opening had to skip or repair, for the caller to log. */
export interface FileRegistryRecovery {
  truncatedBytes: number;
  skippedRows: number;
  droppedStaleInProgress: number;
}

function checkName(value: string, option: string): void {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    throw new DataFileStreamError('ERR_INVALID_ARGUMENT', `${option} cannot name a registry file: ${JSON.stringify(value)}`, { option });
  }
}

export class FileRegistry {
  readonly logsDir: string;
  readonly inProgressPath: string;
  readonly processedPath: string;
  #inProgressTable: CsvTable<InProgressColumn>;
  #processedTable: CsvTable<ProcessedColumn>;
  #inProgress = new Map<string, InProgressEntry>();
  /** relative path -> hex hashes processed under it. */
  #processed = new Map<string, Set<string>>();
  #processedCount = 0;
  #dirty = false;
  #closed = false;
  #now: () => Date;
  #failedStatus: (reason: string | Error | undefined) => string = () => FILE_STATUS.failed;
  #recovery: FileRegistryRecovery = { truncatedBytes: 0, skippedRows: 0, droppedStaleInProgress: 0 };

  private constructor(
    paths: { logsDir: string; inProgressPath: string; processedPath: string },
    inProgress: CsvTable<InProgressColumn>,
    processed: CsvTable<ProcessedColumn>,
    now: () => Date,
  ) {
    this.logsDir = paths.logsDir;
    this.inProgressPath = paths.inProgressPath;
    this.processedPath = paths.processedPath;
    this.#inProgressTable = inProgress;
    this.#processedTable = processed;
    this.#now = now;
  }

  static async open(options: FileRegistryOptions): Promise<FileRegistry> {
    checkName(options.topic, 'topic');
    checkName(options.group, 'group');
    const logsDir = join(options.dir, 'LOGS');
    const inProgressPath = join(logsDir, `consuming_from_${options.topic}_in_progress_by_${options.group}.csv`);
    if (options.processedName !== undefined) checkName(options.processedName, 'processedName');
    const processedPath = join(logsDir, options.processedName ?? `processed_from_${options.topic}_by_${options.group}.csv`);
    const processed = await CsvTable.open(processedPath, PROCESSED_COLUMNS);
    let inProgress: CsvTable<InProgressColumn>;
    try {
      inProgress = await CsvTable.open(inProgressPath, IN_PROGRESS_COLUMNS);
    } catch (err) {
      await processed.close().catch(() => undefined);
      throw err;
    }
    const registry = new FileRegistry({ logsDir, inProgressPath, processedPath }, inProgress, processed, options.now ?? (() => new Date()));
    if (options.failedStatus) registry.#failedStatus = options.failedStatus;
    registry.#load();
    return registry;
  }

  get recovery(): Readonly<FileRegistryRecovery> {
    return this.#recovery;
  }

  /** Number of processed rows known (read at open plus recorded since). */
  get processedCount(): number {
    return this.#processedCount;
  }

  /** A chunk of the file arrived: add it as in progress, or refresh its row. */
  markInProgress(file: RegistryFile): void {
    this.#setStatus(file, FILE_STATUS.inProgress);
  }

  /** Processing failed for good. */
  markFailed(file: RegistryFile, reason?: string | Error): void {
    const entry = this.#setStatus(file, this.#failedStatus(reason));
    if (reason !== undefined) entry.reason = reason instanceof Error ? reason.message : reason;
  }

  /** An app's stage chose not to process the file (its records are committed). */
  markSkipped(file: RegistryFile, reason?: string): void {
    const entry = this.#setStatus(file, FILE_STATUS.skipped);
    if (reason !== undefined) entry.reason = reason;
  }

  /** The reconstructed file did not match its file hash. */
  markMismatchedHash(file: RegistryFile): void {
    this.#setStatus(file, FILE_STATUS.mismatchedHash);
  }

  /** The file was processed: move it from the in-progress table to the processed table. */
  markProcessed(file: RegistryFile): void {
    this.#assertOpen();
    const hash = fileHashHex(file.fileHash, file.relativeFilepath);
    const now = this.#now();
    const previous = this.#inProgress.get(file.relativeFilepath);
    this.#processedTable.append({
      filename: file.filename,
      rel_filepath: file.relativeFilepath,
      n_chunks: file.nTotalChunks,
      first_message: isoTimestamp(previous?.firstMessage ?? now),
      processed_at: isoTimestamp(now),
      file_hash: hash,
    });
    this.#index(file.relativeFilepath, hash);
    if (previous !== undefined) {
      this.#inProgress.delete(file.relativeFilepath);
      this.#dirty = true;
    }
  }

  /** Drops the in-progress row of a path (e.g. a re-read tail of a file already processed). */
  clearInProgress(relativeFilepath: string): boolean {
    this.#assertOpen();
    const had = this.#inProgress.delete(relativeFilepath);
    if (had) this.#dirty = true;
    return had;
  }

  /** True when this exact content (path and hex SHA-512) was processed before. */
  isProcessed(relativeFilepath: string, fileHash: string | Buffer): boolean {
    const hash = fileHashHex(fileHash, relativeFilepath);
    return this.#processed.get(relativeFilepath)?.has(hash) ?? false;
  }

  /** Every row of the in-progress table, whatever its status. */
  inProgressFiles(): InProgressEntry[] {
    return [...this.#inProgress.values()].map((entry) => ({ ...entry }));
  }

  /** Files whose processing failed for good. */
  failedFiles(): InProgressEntry[] {
    return this.inProgressFiles().filter((entry) => entry.status === FILE_STATUS.failed);
  }

  /** Files whose reconstruction did not match the file hash. */
  mismatchedHashFiles(): InProgressEntry[] {
    return this.inProgressFiles().filter((entry) => entry.status === FILE_STATUS.mismatchedHash);
  }

  /**
   * Makes the processed rows so far durable, not the in-progress table. Enough for a crash not to
   * process these files again: opening drops the in-progress rows they leave behind.
   */
  flushProcessed(): Promise<void> {
    return this.#processedTable.flush();
  }

  /** Makes every change so far durable (processed rows first, then the in-progress table). */
  async flush(): Promise<void> {
    await this.#processedTable.flush();
    if (!this.#dirty) return;
    this.#dirty = false;
    try {
      await this.#inProgressTable.rewrite([...this.#inProgress.values()].map(toInProgressRow));
    } catch (err) {
      this.#dirty = true;
      throw err;
    }
  }

  /** Flushes and closes both tables. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      await Promise.allSettled([this.#processedTable.close(), this.#inProgressTable.close()]);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new DataFileStreamError('ERR_REGISTRY_IO', 'file registry is closed', { path: this.logsDir });
  }

  #setStatus(file: RegistryFile, status: FileStatus | string): InProgressEntry {
    this.#assertOpen();
    const now = this.#now();
    let entry = this.#inProgress.get(file.relativeFilepath);
    if (entry === undefined) {
      entry = {
        filename: file.filename,
        relativeFilepath: file.relativeFilepath,
        status,
        nChunks: file.nTotalChunks,
        firstMessage: now,
        mostRecentMessage: now,
      };
      this.#inProgress.set(file.relativeFilepath, entry);
    } else {
      entry.filename = file.filename;
      entry.status = status;
      entry.nChunks = file.nTotalChunks;
      entry.mostRecentMessage = now;
      delete entry.reason;
    }
    this.#dirty = true;
    return entry;
  }

  #index(relativeFilepath: string, hash: string): void {
    let hashes = this.#processed.get(relativeFilepath);
    if (hashes === undefined) {
      hashes = new Set();
      this.#processed.set(relativeFilepath, hashes);
    }
    hashes.add(hash);
    this.#processedCount++;
  }

  #load(): void {
    const tables = [this.#processedTable.recovery, this.#inProgressTable.recovery];
    this.#recovery.truncatedBytes = tables.reduce((n, r) => n + r.truncatedBytes, 0);
    this.#recovery.skippedRows = tables.reduce((n, r) => n + r.skippedRecords, 0);

    const lastProcessedAt = new Map<string, number>();
    for (const row of this.#processedTable.takeExistingRows()) {
      const legacy = isOpenMsiStreamTimestamp(row.processed_at);
      const relativeFilepath = legacy ? unwrapPythonRepr(row.rel_filepath) : row.rel_filepath;
      const processedAt = parseTimestamp(row.processed_at);
      if (relativeFilepath === '' || processedAt === undefined) {
        this.#recovery.skippedRows++;
        continue;
      }
      // A row without a hash (written by OpenMSIStream) says nothing about content: counted,
      // but never matches, so such a file is processed again rather than wrongly skipped.
      if (isFileHashHex(row.file_hash)) this.#index(relativeFilepath, row.file_hash.toLowerCase());
      else this.#processedCount++;
      const t = processedAt.getTime();
      if (t > (lastProcessedAt.get(relativeFilepath) ?? -Infinity)) lastProcessedAt.set(relativeFilepath, t);
    }

    for (const row of this.#inProgressTable.takeExistingRows()) {
      const entry = fromInProgressRow(row);
      if (entry === undefined) {
        this.#recovery.skippedRows++;
        continue;
      }
      const processedAt = lastProcessedAt.get(entry.relativeFilepath);
      if (entry.status === FILE_STATUS.inProgress && processedAt !== undefined && processedAt >= entry.mostRecentMessage.getTime()) {
        this.#recovery.droppedStaleInProgress++;
        this.#dirty = true;
        continue;
      }
      this.#inProgress.set(entry.relativeFilepath, entry);
    }
  }
}

function toInProgressRow(entry: InProgressEntry): Record<InProgressColumn, string | number> {
  return {
    filename: entry.filename,
    rel_filepath: entry.relativeFilepath,
    status: entry.status,
    n_chunks: entry.nChunks,
    first_message: isoTimestamp(entry.firstMessage),
    most_recent_message: isoTimestamp(entry.mostRecentMessage),
  };
}

function fromInProgressRow(row: CsvRow<InProgressColumn>): InProgressEntry | undefined {
  const legacy = isOpenMsiStreamTimestamp(row.first_message);
  const text = (cell: string): string => (legacy ? unwrapPythonRepr(cell) : cell);
  const firstMessage = parseTimestamp(row.first_message);
  const mostRecentMessage = parseTimestamp(row.most_recent_message);
  const nChunks = /^\d+$/.test(row.n_chunks) ? Number(row.n_chunks) : NaN;
  const relativeFilepath = text(row.rel_filepath);
  if (firstMessage === undefined || mostRecentMessage === undefined || !Number.isSafeInteger(nChunks) || relativeFilepath === '') {
    return undefined;
  }
  return { filename: text(row.filename), relativeFilepath, status: text(row.status), nChunks, firstMessage, mostRecentMessage };
}
