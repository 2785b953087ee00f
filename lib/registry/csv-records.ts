/**
 * readCsvRecords: the whole records of a `;`-delimited registry file's bytes, for CsvTable. Pure.
 *
 * In:  the file's bytes as read at open, possibly cut short by a crash mid-append.
 * Out: `end`, the length of the prefix made of whole records (everything after it is a torn
 *      record to truncate), the header record (a leading `sep=;` line, which OpenMSIStream writes
 *      on Windows, is skipped) and the data records, each a list of cells.
 *
 * A record is whole when its final newline lies outside quotes. The common torn case (no final
 * newline) is settled by cutting at the last newline; only when that cut lands inside a quoted
 * multi-line field does a quote-aware byte scan find the last real record end, since that scan
 * could misjudge the bare `"` OpenMSIStream's unquoted Python repr cells may hold.
 * Errors: csv-parse's, for bytes that are not CSV even once the tail is cut.
 */

import { parse } from 'csv-parse/sync';

export const CSV_DELIMITER = ';';

export interface CsvRecords {
  end: number;
  header: string[] | undefined;
  records: string[][];
}

export function readCsvRecords(buf: Buffer): CsvRecords {
  let end = buf.length;
  if (buf.length > 0 && buf[buf.length - 1] !== 0x0a) end = buf.lastIndexOf(0x0a) + 1;
  let records: string[][];
  try {
    records = parseRecords(buf.subarray(0, end));
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== 'CSV_QUOTE_NOT_CLOSED') throw err;
    end = wholeRecordsLength(buf);
    records = parseRecords(buf.subarray(0, end));
  }
  const first = records[0];
  if (first !== undefined && first.length === 2 && first[0] === 'sep=' && first[1] === '') records.shift();
  const header = records.shift();
  return { end, header, records };
}

function parseRecords(bytes: Buffer): string[][] {
  return parse(bytes.toString('utf8'), {
    delimiter: CSV_DELIMITER,
    relax_column_count: true,
    // OpenMSIStream writes cells unquoted with Python repr, which may hold a bare `"`.
    relax_quotes: true,
    skip_empty_lines: true,
    bom: true,
  }) as string[][];
}

/** Length of the longest prefix of `buf` that ends at a newline outside any quoted field. */
function wholeRecordsLength(buf: Buffer): number {
  let inQuotes = false;
  let end = 0;
  for (let i = 0; i < buf.length; i++) {
    const byte = buf[i];
    // UTF-8 continuation bytes never equal '"' or '\n', so a byte scan is exact.
    if (byte === 0x22) inQuotes = !inQuotes;
    else if (byte === 0x0a && !inQuotes) end = i + 1;
  }
  return end;
}
