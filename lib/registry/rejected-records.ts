/**
 * Bad records, recorded: `LOGS/rejected_from_<topic>_by_<group>.csv`, one row per record that was
 * skipped as bad input (topic, partition, offset, reason code, message), so an operator can find
 * and inspect them later. Written durably before the offsets covering them are committed.
 */
import { join } from 'node:path';
import { CsvTable, isoTimestamp } from './csv-table.js';
import type { RecordPosition } from '../types.js';

export const REJECTED_COLUMNS = ['topic', 'partition', 'offset', 'code', 'reason', 'rejected_at'] as const;

export class RejectedRecords {
  readonly path: string;
  readonly #table: CsvTable<(typeof REJECTED_COLUMNS)[number]>;
  #count = 0;

  private constructor(path: string, table: CsvTable<(typeof REJECTED_COLUMNS)[number]>) {
    this.path = path;
    this.#table = table;
  }

  static async open(options: { dir: string; topic: string; group: string }): Promise<RejectedRecords> {
    const path = join(options.dir, 'LOGS', `rejected_from_${options.topic}_by_${options.group}.csv`);
    return new RejectedRecords(path, await CsvTable.open(path, REJECTED_COLUMNS));
  }

  get count(): number {
    return this.#count;
  }

  add(position: RecordPosition, code: string, reason: string): void {
    this.#count++;
    this.#table.append([{ topic: position.topic, partition: position.partition, offset: position.offset, code, reason: reason.slice(0, 500), rejected_at: isoTimestamp(new Date()) }]);
  }

  flush(): Promise<void> {
    return this.#table.flush();
  }

  close(): Promise<void> {
    return this.#table.close();
  }
}
