/**
 * CsvTable: one durable `;`-delimited CSV file with a header line (the OpenMSIStream registry
 * layout), appended to in batches or rewritten whole.
 *
 * In:  `open(path, columns)` reads the file if it exists, creates it (header only) if not.
 *      `append(rows)` buffers rows in memory; `flush()` appends them and fsyncs, so they are
 *      durable when it resolves. `rewrite(rows)` replaces the whole content (compaction of a
 *      table whose rows are updated or removed by key: the caller holds the keyed state and
 *      passes the full new content) through a temp file, fsync, rename and directory fsync, so
 *      a crash leaves either the old or the new table, never a mix.
 * Out: `takeExistingRows()` hands over the rows found at open, once (the table keeps no rows, so
 *      memory does not grow with the file); `recovery` says what opening had to repair.
 *
 * Crash recovery at open: a last record cut short by a crash (no final newline, or an unclosed
 * quote) is dropped and the file truncated to the last whole record, so later appends do not
 * glue onto the fragment. Records with the wrong number of fields are skipped and counted. A
 * header that is a strict prefix of `columns` (a table written before trailing columns were
 * added, e.g. OpenMSIStream's processed table without `file_hash`) is upgraded by a rewrite,
 * older rows getting empty trailing cells. Any other header mismatch is ERR_REGISTRY_IO: the
 * file belongs to something else and is left untouched. A leading `sep=;` line (OpenMSIStream
 * on Windows) is accepted.
 *
 * Quoting is csv-stringify's: fields holding `;`, `"`, CR or LF are quoted, quotes doubled.
 * Operations on one table run one at a time, in call order. Every I/O failure is ERR_REGISTRY_IO.
 */

import { open as openFile, mkdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { DataFileStreamError } from '../errors.js';
import { CSV_DELIMITER, readCsvRecords, type CsvRecords } from './csv-records.js';

export { CSV_DELIMITER };

export { isoTimestamp } from './registry-values.js';

/** One row, every cell a string, keyed by column name. */
export type CsvRow<C extends string> = Record<C, string>;
/** A row to append: numbers are written in decimal, missing cells as empty. */
export type CsvRowInput<C extends string> = Partial<Record<C, string | number>>;

/** What `open` had to repair. */
export interface CsvRecovery {
  /** Bytes of a torn last record cut from the end of the file. */
  truncatedBytes: number;
  /** Records skipped because their field count did not match the header. */
  skippedRecords: number;
  /** True when the file was created by this open. */
  created: boolean;
  /** True when an older header (a prefix of the columns) was upgraded. */
  upgradedHeader: boolean;
}

let tempCounter = 0;

function ioError(message: string, path: string, cause?: unknown): DataFileStreamError {
  return new DataFileStreamError('ERR_REGISTRY_IO', message, { path }, cause);
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await openFile(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some platforms cannot open or fsync a directory (EISDIR, EPERM on Windows); the rename
    // itself already happened, so this is best effort there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw err;
  } finally {
    await handle?.close();
  }
}

/** Records with the header's field count as rows keyed by `columns` (missing trailing cells empty); the others counted. */
function rowsOf<C extends string>(records: readonly string[][], fields: number, columns: readonly C[]): { rows: CsvRow<C>[]; skipped: number } {
  const rows: CsvRow<C>[] = [];
  let skipped = 0;
  for (const record of records) {
    if (record.length !== fields) {
      skipped++;
      continue;
    }
    const row = {} as CsvRow<C>;
    columns.forEach((column, i) => {
      row[column] = record[i] ?? '';
    });
    rows.push(row);
  }
  return { rows, skipped };
}

export class CsvTable<C extends string> {
  readonly path: string;
  readonly columns: readonly C[];
  #handle: FileHandle | undefined;
  #size = 0;
  #buffer: string[] = [];
  #existing: CsvRow<C>[] | undefined;
  #recovery: CsvRecovery;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(path: string, columns: readonly C[], recovery: CsvRecovery) {
    this.path = path;
    this.columns = columns;
    this.#recovery = recovery;
  }

  /** Opens (recovering) or creates the table at `path`. */
  static async open<C extends string>(path: string, columns: readonly C[]): Promise<CsvTable<C>> {
    if (columns.length === 0 || new Set(columns).size !== columns.length) {
      throw new DataFileStreamError('ERR_INVALID_ARGUMENT', 'columns must be non-empty and unique', { path, option: 'columns' });
    }
    const recovery: CsvRecovery = { truncatedBytes: 0, skippedRecords: 0, created: false, upgradedHeader: false };
    const table = new CsvTable(path, [...columns], recovery);
    try {
      await mkdir(dirname(path), { recursive: true });
      await table.#load();
    } catch (err) {
      await table.#handle?.close().catch(() => undefined);
      if (err instanceof DataFileStreamError) throw err;
      throw ioError(`cannot open registry table ${path}: ${(err as Error).message}`, path, err);
    }
    return table;
  }

  get recovery(): Readonly<CsvRecovery> {
    return this.#recovery;
  }

  /** Rows buffered by `append` and not yet handed to `flush`. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** The rows that were in the file when it was opened; returns them once, then []. */
  takeExistingRows(): CsvRow<C>[] {
    const rows = this.#existing ?? [];
    this.#existing = undefined;
    return rows;
  }

  /** Buffers rows for the next `flush`. Nothing reaches the file before that. */
  append(rows: CsvRowInput<C> | readonly CsvRowInput<C>[]): void {
    this.#assertOpen();
    const list = Array.isArray(rows) ? (rows as readonly CsvRowInput<C>[]) : [rows as CsvRowInput<C>];
    for (const row of list) this.#buffer.push(this.#format([row]));
  }

  /** Appends the rows buffered so far and fsyncs; durable when the promise resolves. */
  flush(): Promise<void> {
    const batch = this.#takeBuffer();
    return this.#enqueue(() => this.#appendNow(batch));
  }

  /**
   * Atomically replaces the table with `rows` (the complete new content). Rows still buffered
   * by `append` are discarded: the caller's content is the whole truth.
   */
  rewrite(rows: Iterable<CsvRowInput<C>>): Promise<void> {
    this.#assertOpen();
    const content = this.#headerLine() + this.#format([...rows]);
    this.#buffer = [];
    return this.#enqueue(() => this.#replace(content));
  }

  /** Flushes and releases the file. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return this.#queue.then(() => undefined);
    this.#closed = true;
    const batch = this.#takeBuffer();
    return this.#enqueue(async () => {
      try {
        await this.#appendNow(batch);
      } finally {
        const handle = this.#handle;
        this.#handle = undefined;
        await handle?.close();
      }
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw ioError(`registry table ${this.path} is closed`, this.path);
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op, op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #headerLine(): string {
    return stringify([this.columns as C[]], { delimiter: CSV_DELIMITER });
  }

  #format(rows: readonly CsvRowInput<C>[]): string {
    if (rows.length === 0) return '';
    const records = rows.map((row) =>
      this.columns.map((column) => {
        const value = row[column];
        return value === undefined ? '' : String(value);
      }),
    );
    return stringify(records, { delimiter: CSV_DELIMITER });
  }

  async #load(): Promise<void> {
    const buf = await this.#readExisting();
    if (buf === undefined) return this.#startEmpty();
    const { end, header, records } = this.#parse(buf);
    this.#recovery.truncatedBytes = buf.length - end;
    if (header === undefined) {
      this.#assertTornHeader(buf);
      return this.#startEmpty();
    }
    this.#assertHeader(header);
    const { rows, skipped } = rowsOf(records, header.length, this.columns);
    this.#recovery.skippedRecords += skipped;
    this.#existing = rows;
    if (header.length < this.columns.length) {
      // Rewrite so every line on disk has the current column count; skipped records stay
      // out (they are counted above), whole rows keep their cells and gain empty ones.
      this.#recovery.upgradedHeader = true;
      await this.#replace(this.#headerLine() + this.#format(rows));
      return;
    }
    await this.#openForAppend(end, buf.length);
  }

  /** The file's bytes, or undefined when there is no file yet. */
  async #readExisting(): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return undefined;
    }
  }

  /** A new table: the header line only. */
  async #startEmpty(): Promise<void> {
    this.#recovery.created = true;
    this.#existing = [];
    await this.#replace(this.#headerLine());
  }

  #parse(buf: Buffer): CsvRecords {
    try {
      return readCsvRecords(buf);
    } catch (err) {
      throw ioError(`registry table ${this.path} is not valid CSV: ${(err as Error).message}`, this.path, err);
    }
  }

  /** Empty, or only a torn header: nothing to keep. Anything else without a newline is not ours to overwrite. */
  #assertTornHeader(buf: Buffer): void {
    const fragment = buf.toString('utf8').replace(/^\uFEFF/, '').replace(/^sep=;\r?\n/, '');
    if (!this.#headerLine().startsWith(fragment)) {
      throw ioError(`registry table ${this.path} holds no header line and is not a torn one`, this.path);
    }
  }

  /** Our columns, or a strict prefix of them (an older table, upgraded by the caller). */
  #assertHeader(header: readonly string[]): void {
    const matches = header.length <= this.columns.length && header.every((name, i) => name === this.columns[i]);
    if (!matches) {
      throw ioError(
        `registry table ${this.path} has header "${header.join(CSV_DELIMITER)}", expected "${this.columns.join(CSV_DELIMITER)}"`,
        this.path,
      );
    }
  }

  /** Keeps the file open for appends, cut back to its last whole record. */
  async #openForAppend(end: number, length: number): Promise<void> {
    this.#handle = await openFile(this.path, 'r+');
    if (end < length) {
      await this.#handle.truncate(end);
      await this.#handle.sync();
    }
    this.#size = end;
  }

  #takeBuffer(): string[] {
    const batch = this.#buffer;
    this.#buffer = [];
    return batch;
  }

  async #appendNow(batch: string[]): Promise<void> {
    if (batch.length === 0) return;
    const handle = this.#handle;
    if (handle === undefined) throw ioError(`registry table ${this.path} is closed`, this.path);
    const data = Buffer.from(batch.join(''), 'utf8');
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, this.#size + written);
        written += bytesWritten;
      }
      await handle.datasync();
    } catch (err) {
      // Leave no fragment behind for the next append to glue onto, and keep the rows (ahead of
      // any appended since) so a later flush retries them.
      await handle.truncate(this.#size).catch(() => undefined);
      this.#buffer = batch.concat(this.#buffer);
      throw ioError(`cannot append to registry table ${this.path}: ${(err as Error).message}`, this.path, err);
    }
    this.#size += data.length;
  }

  async #replace(content: string): Promise<void> {
    const dir = dirname(this.path);
    const temp = join(dir, `.${basename(this.path)}.${process.pid}.${++tempCounter}.tmp`);
    const data = Buffer.from(content, 'utf8');
    try {
      const out = await openFile(temp, 'w');
      try {
        await out.writeFile(data);
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(temp, this.path);
      await fsyncDir(dir);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw ioError(`cannot rewrite registry table ${this.path}: ${(err as Error).message}`, this.path, err);
    }
    // The old handle points at the replaced inode; appends must go to the new file.
    const previous = this.#handle;
    this.#handle = undefined;
    await previous?.close().catch(() => undefined);
    this.#handle = await openFile(this.path, 'r+');
    this.#size = data.length;
  }
}
