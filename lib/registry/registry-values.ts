/**
 * Cell encodings of the registry CSV files: what goes into one `;`-separated field and back.
 *
 * Written by this toolkit: plain text (csv-stringify quotes it when needed), integers in decimal,
 * timestamps in ISO-8601 with the local UTC offset (`2026-11-27T12:34:56.789+01:00`, SPEC §4),
 * sets of chunk indices as Python prints a set (`{1, 2, 3}`, `set()`), as OpenMSIStream does.
 *
 * Read back: the above, and also rows written by OpenMSIStream itself, whose DataclassTable
 * (openmsistream/utilities/dataclass_table.py) writes every cell as Python `repr()`: strings and
 * paths as `'text'`, timestamps as `repr(strftime('%a %b %d, %Y at %H:%M:%S'))` in naive local
 * time (`'Fri Nov 27, 2026 at 12:34:56'`). Such a row is recognised by its timestamp cell, so a
 * registry left by OpenMSIStream in the same LOGS directory keeps meaning what it meant.
 *
 * File hashes are lowercase hex of the SHA-512 digest.
 *
 * Errors: an unparseable timestamp or set yields undefined; callers decide what a bad row means.
 * A hash that is neither 64 raw bytes nor 128 hex digits is ERR_INVALID_ARGUMENT.
 */

import { DataFileStreamError } from '../errors.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `date` as ISO-8601 local time with its UTC offset and milliseconds. */
export function isoTimestamp(date: Date = new Date()): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** OpenMSIStream's `'%a %b %d, %Y at %H:%M:%S'`, with the repr quotes. */
const OPENMSISTREAM_TIME = /^'[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{2}), (\d{4}) at (\d{2}):(\d{2}):(\d{2})'$/;

/** True when `cell` is a timestamp as OpenMSIStream's DataclassTable writes it. */
export function isOpenMsiStreamTimestamp(cell: string): boolean {
  return OPENMSISTREAM_TIME.test(cell);
}

/** Parses an ISO-8601 timestamp with offset, or OpenMSIStream's format (as local time). */
export function parseTimestamp(cell: string): Date | undefined {
  if (ISO_WITH_OFFSET.test(cell)) {
    const date = new Date(cell);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  const m = OPENMSISTREAM_TIME.exec(cell);
  if (m === null) return undefined;
  const month = MONTHS.indexOf(m[1] as string);
  if (month < 0) return undefined;
  return new Date(Number(m[3]), month, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]));
}

const PY_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' };

/** Undoes Python's `repr()` of a str (`'a\\'b'` -> `a'b`); other text is returned unchanged. */
export function unwrapPythonRepr(cell: string): string {
  if (cell.length < 2) return cell;
  const quote = cell[0];
  if ((quote !== "'" && quote !== '"') || cell[cell.length - 1] !== quote) return cell;
  return cell.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (whole, esc: string) => {
    if (esc.length > 1) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    return PY_ESCAPES[esc] ?? whole;
  });
}

/** A set of positive integers as Python prints it: `{1, 2, 3}` or `set()`. */
export function formatIntSet(values: Iterable<number>): string {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 'set()' : `{${sorted.join(', ')}}`;
}

/** Parses `{1, 2}`, `set()`, `[1, 2]` or `()`; undefined when it is not such a set. */
export function parseIntSet(cell: string): Set<number> | undefined {
  const text = cell.trim();
  if (text === 'set()' || text === '{}' || text === '[]' || text === '()') return new Set();
  const open = text[0];
  const close = text[text.length - 1];
  if (!((open === '{' && close === '}') || (open === '[' && close === ']') || (open === '(' && close === ')'))) return undefined;
  const out = new Set<number>();
  for (const part of text.slice(1, -1).split(',')) {
    const item = part.trim();
    if (item === '') continue;
    if (!/^\d+$/.test(item)) return undefined;
    out.add(Number(item));
  }
  return out;
}

/** True when `cell` is 128 hex digits (a SHA-512 digest). */
export function isFileHashHex(cell: string): boolean {
  return /^[0-9a-fA-F]{128}$/.test(cell);
}

/** Lowercase hex of a SHA-512 digest given raw (64 bytes) or as hex. */
export function fileHashHex(hash: Buffer | string | undefined, path?: string): string {
  if (Buffer.isBuffer(hash) && hash.length === 64) return hash.toString('hex');
  if (typeof hash === 'string' && isFileHashHex(hash)) return hash.toLowerCase();
  throw new DataFileStreamError('ERR_INVALID_ARGUMENT', 'file hash must be a 64-byte SHA-512 digest or its hex', { path, option: 'fileHash' });
}
