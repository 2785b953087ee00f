/**
 * The OpenMSIStream chunk value and key, byte for byte (SPEC §2).
 *
 * In: a DataFileChunk (encode) or a record value Buffer (decode). Out: the msgpack array
 * `[filename, file_hash, chunk_hash, chunk_offset_write, chunk_i, n_total_chunks, subdir_str,
 * filename_append, data, file_mtime]`, or the chunk it carries. Python's msgpack writes text as
 * str, bytes as bin and integers in their smallest encoding; the small fields go through the
 * msgpack library, which does the same. Two parts are written here by hand, on purpose:
 * `file_mtime` is always float64 (the library would write an integral number as an int), and the
 * `data` bin header is written beside the chunk bytes so the payload is copied once, not twice
 * (or not at all: `allocateChunkRecord` leaves the region for the caller to read the bytes into).
 *
 * Decoding never throws anything but a ChunkDecodeError with a `code`: a record value comes from
 * the network and may be anything (JSON from another producer, a tombstone, garbage, a truncated
 * or hostile array).
 */
import { Decoder, DecodeError, Encoder } from '@msgpack/msgpack';
import { ChunkDecodeError, DataFileStreamError, type ErrorCode } from '../errors.js';
import type { DataFileChunk } from '../types.js';
import { HASH_BYTES, sha512, sha512Async } from './chunk-hash.js';

export interface EncodeOptions {
  /** Write the 9-field array of OpenMSIStream <= 1.8.6 (no file_mtime). */
  legacy?: boolean;
}

export interface DecodeOptions {
  /** Check SHA-512(data) against chunk_hash (default true). */
  verifyHash?: boolean;
  /** Longest accepted filename / subdir_str / filename_append, in bytes (default 4096). */
  maxStringBytes?: number;
  /** Largest accepted chunk payload, in bytes (default 64 MiB). */
  maxChunkBytes?: number;
}

const DEFAULT_MAX_STRING_BYTES = 4096;
const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024 * 1024;
const fieldEncoder = new Encoder({ ignoreUndefined: false });
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeChunk(chunk: DataFileChunk, options: EncodeOptions = {}): Buffer {
  assertEncodable(chunk, chunk?.data?.length, true);
  const { value, data } = layOut(chunk, chunk.data.length, options);
  data.set(chunk.data);
  return value;
}

/** A record value with every field written but the chunk bytes, and `data`, the view to read them into. */
export interface ChunkRecordSpace {
  value: Buffer;
  data: Buffer;
}

/**
 * `encodeChunk` without the copy: the value is allocated at its final size with every field
 * written around a `data` region of `dataLength` bytes, for the caller to fill (an uploader reads
 * the file straight into it). Until it is filled the region holds whatever memory held before.
 * `allocate` gives the value's bytes (any content), e.g. from a pool of values no longer in use.
 */
export function allocateChunkRecord(
  chunk: Omit<DataFileChunk, 'data'>,
  dataLength: number,
  options: EncodeOptions = {},
  allocate: (bytes: number) => Buffer = Buffer.allocUnsafe,
): ChunkRecordSpace {
  assertEncodable(chunk, dataLength, false);
  return layOut(chunk, dataLength, options, allocate);
}

function layOut(chunk: Omit<DataFileChunk, 'data'>, dataLength: number, options: EncodeOptions, allocate: (bytes: number) => Buffer = Buffer.allocUnsafe): ChunkRecordSpace {
  const legacy = options.legacy === true;
  const head = fieldEncoder.encode([
    chunk.filename,
    chunk.fileHash,
    chunk.chunkHash,
    chunk.chunkOffsetWrite,
    chunk.chunkI,
    chunk.nTotalChunks,
    chunk.subdirStr,
    chunk.filenameAppend,
  ]);
  // `head` is a fixarray of 8; its header becomes 9 or 10 and the remaining fields follow.
  const bin = binHeader(dataLength);
  const dataAt = head.byteLength + bin.length;
  const value = allocate(dataAt + dataLength + (legacy ? 0 : 9));
  value.set(head, 0);
  value[0] = legacy ? 0x99 : 0x9a;
  value.set(bin, head.byteLength);
  if (!legacy) {
    value[dataAt + dataLength] = 0xcb;
    value.writeDoubleBE(chunk.fileMtime ?? 0, dataAt + dataLength + 1);
  }
  return { value, data: value.subarray(dataAt, dataAt + dataLength) };
}

/** OpenMSIStream's record key: `{subdir with / as _}_{filename}_chunk_{i}_of_{n}`. */
export function chunkKey(chunk: Pick<DataFileChunk, 'subdirStr' | 'filename' | 'chunkI' | 'nTotalChunks'>): string {
  return `${chunk.subdirStr.replaceAll('/', '_')}_${chunk.filename}_chunk_${chunk.chunkI}_of_${chunk.nTotalChunks}`;
}

/** The part of the key that is the same for every chunk of one file (partitioning hashes it). */
export function fileKeyPrefix(key: string): string {
  const at = key.lastIndexOf('_chunk_');
  return at < 0 ? key : key.slice(0, at);
}

export function decodeChunk(value: unknown, options: DecodeOptions = {}): DataFileChunk {
  const maxString = options.maxStringBytes ?? DEFAULT_MAX_STRING_BYTES;
  const maxChunk = options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
  if (value === null || value === undefined) fail('ERR_CHUNK_NOT_BUFFER', 'record has no value (tombstone)');
  if (!(value instanceof Uint8Array)) fail('ERR_CHUNK_NOT_BUFFER', `record value is ${typeof value}, not bytes`);
  if (value.length === 0) fail('ERR_CHUNK_TRUNCATED', 'record value is empty');

  const fields = parseArray(value);
  if (fields.length !== 9 && fields.length !== 10) {
    fail('ERR_CHUNK_FIELD_COUNT', `chunk array has ${fields.length} fields, expected 9 or 10`);
  }
  const chunk: DataFileChunk = {
    filename: text(fields[0], 'filename', maxString),
    fileHash: hash(fields[1], 'file_hash'),
    chunkHash: hash(fields[2], 'chunk_hash'),
    chunkOffsetWrite: uint(fields[3], 'chunk_offset_write'),
    chunkI: uint(fields[4], 'chunk_i'),
    nTotalChunks: uint(fields[5], 'n_total_chunks'),
    subdirStr: text(fields[6], 'subdir_str', maxString),
    filenameAppend: text(fields[7], 'filename_append', maxString),
    data: bytes(fields[8], 'data', maxChunk),
    fileMtime: fields.length === 10 ? mtime(fields[9]) : null,
  };
  if (chunk.chunkI < 1 || chunk.nTotalChunks < 1 || chunk.chunkI > chunk.nTotalChunks) {
    fail('ERR_CHUNK_INVALID', `chunk_i ${chunk.chunkI} is not within 1..n_total_chunks (${chunk.nTotalChunks})`);
  }
  if (options.verifyHash !== false && !sha512(chunk.data).equals(chunk.chunkHash)) hashMismatch(chunk);
  return chunk;
}

/**
 * The `verifyHash` check of `decodeChunk`, hashing off the main thread: decode with
 * `verifyHash: false`, then await this. Rejects with the same ChunkDecodeError.
 */
export async function verifyChunkHash(chunk: DataFileChunk): Promise<DataFileChunk> {
  if (!(await sha512Async(chunk.data)).equals(chunk.chunkHash)) hashMismatch(chunk);
  return chunk;
}

function hashMismatch(chunk: DataFileChunk): never {
  fail('ERR_CHUNK_HASH_MISMATCH', `chunk ${chunk.chunkI}/${chunk.nTotalChunks} of ${chunk.filename}: SHA-512 of data does not match chunk_hash`);
}

function parseArray(value: Uint8Array): unknown[] {
  // Small container limits, so a hostile header cannot make the decoder build huge maps or
  // arrays. Byte strings are views into the value, so their declared length costs nothing: one
  // longer than the value is reported as truncation (RangeError), not as malformed.
  const decoder = new Decoder({ useBigInt64: true, rawStrings: true, maxArrayLength: 64, maxMapLength: 64 });
  const items = decoder.decodeMulti(value);
  let decoded: unknown;
  try {
    const first = items.next();
    if (first.done) fail('ERR_CHUNK_TRUNCATED', 'record value holds no msgpack object');
    decoded = first.value;
  } catch (err) {
    rethrowDecodeFailure(err, 'ERR_CHUNK_TRUNCATED');
  }
  let trailing = false;
  try {
    trailing = items.next().done !== true;
  } catch {
    trailing = true; // bytes after the array that are not even a whole msgpack object
  }
  if (trailing) fail('ERR_CHUNK_TRAILING_BYTES', 'record value has bytes after the chunk array');
  if (!Array.isArray(decoded)) fail('ERR_CHUNK_NOT_ARRAY', `record value is a msgpack ${describe(decoded)}, not an array`);
  return decoded;
}

function rethrowDecodeFailure(err: unknown, truncatedCode: ErrorCode): never {
  if (err instanceof DataFileStreamError) throw err;
  if (err instanceof RangeError) fail(truncatedCode, 'record value ends inside a msgpack object', err);
  if (err instanceof DecodeError) fail('ERR_CHUNK_MALFORMED', 'record value is not valid msgpack', err);
  fail('ERR_CHUNK_MALFORMED', 'record value could not be decoded', err);
}

function text(field: unknown, name: string, maxBytes: number): string {
  if (!(field instanceof Uint8Array)) fail('ERR_CHUNK_FIELD_TYPE', `${name} is a ${describe(field)}, expected str`, undefined, name);
  if (field.length > maxBytes) fail('ERR_CHUNK_TOO_LARGE', `${name} is ${field.length} bytes, limit ${maxBytes}`, undefined, name);
  try {
    return strictUtf8.decode(field);
  } catch (err) {
    fail('ERR_CHUNK_BAD_UTF8', `${name} is not valid UTF-8`, err, name);
  }
}

function hash(field: unknown, name: string): Buffer {
  if (!(field instanceof Uint8Array)) fail('ERR_CHUNK_FIELD_TYPE', `${name} is a ${describe(field)}, expected bin`, undefined, name);
  if (field.length !== HASH_BYTES) fail('ERR_CHUNK_HASH_LENGTH', `${name} is ${field.length} bytes, expected ${HASH_BYTES}`, undefined, name);
  return asBuffer(field);
}

function bytes(field: unknown, name: string, maxBytes: number): Buffer {
  if (!(field instanceof Uint8Array)) fail('ERR_CHUNK_FIELD_TYPE', `${name} is a ${describe(field)}, expected bin`, undefined, name);
  if (field.length > maxBytes) fail('ERR_CHUNK_TOO_LARGE', `${name} is ${field.length} bytes, limit ${maxBytes}`, undefined, name);
  return asBuffer(field);
}

function uint(field: unknown, name: string): number {
  if (typeof field === 'bigint') {
    if (field < 0n || field > BigInt(Number.MAX_SAFE_INTEGER)) {
      fail('ERR_CHUNK_INT_RANGE', `${name} ${field} is outside 0..2^53-1`, undefined, name);
    }
    return Number(field);
  }
  if (typeof field !== 'number' || !Number.isInteger(field)) {
    fail('ERR_CHUNK_FIELD_TYPE', `${name} is a ${describe(field)}, expected an unsigned integer`, undefined, name);
  }
  if (field < 0) fail('ERR_CHUNK_INT_RANGE', `${name} ${field} is negative`, undefined, name);
  return field;
}

function mtime(field: unknown): number | null {
  const seconds = typeof field === 'bigint' ? Number(field) : field;
  if (typeof seconds !== 'number' || Number.isNaN(seconds)) {
    fail('ERR_CHUNK_FIELD_TYPE', `file_mtime is a ${describe(field)}, expected float64`, undefined, 'file_mtime');
  }
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

function binHeader(length: number): Buffer {
  if (length < 0x100) return Buffer.of(0xc4, length);
  if (length < 0x10000) return Buffer.of(0xc5, length >> 8, length & 0xff);
  const header = Buffer.alloc(5);
  header[0] = 0xc6;
  header.writeUInt32BE(length, 1);
  return header;
}

function assertEncodable(chunk: Omit<DataFileChunk, 'data'> & { data?: unknown }, dataLength: number | undefined, withData: boolean): void {
  const bad = (what: string): never => {
    throw new DataFileStreamError('ERR_INVALID_ARGUMENT', `cannot encode chunk: ${what}`, { path: chunk?.filename });
  };
  if (typeof chunk?.filename !== 'string') bad('filename must be a string');
  for (const name of ['fileHash', 'chunkHash'] as const) {
    if (!(chunk[name] instanceof Uint8Array) || chunk[name].length !== HASH_BYTES) bad(`${name} must be ${HASH_BYTES} bytes`);
  }
  for (const name of ['chunkOffsetWrite', 'chunkI', 'nTotalChunks'] as const) {
    if (!Number.isSafeInteger(chunk[name]) || chunk[name] < 0) bad(`${name} must be a non-negative safe integer`);
  }
  if (typeof chunk.subdirStr !== 'string' || typeof chunk.filenameAppend !== 'string') bad('subdirStr and filenameAppend must be strings');
  if (withData && !(chunk.data instanceof Uint8Array)) bad('data must be a Buffer');
  if (!Number.isSafeInteger(dataLength) || dataLength! < 0) bad('the data length must be a non-negative safe integer');
  if (dataLength! > 0xffffffff) bad('data is larger than a msgpack bin32');
  if (chunk.fileMtime !== null && !Number.isFinite(chunk.fileMtime)) bad('fileMtime must be a finite number or null');
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function describe(value: unknown): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'str/bin';
  if (value instanceof Map || typeof value === 'object') return 'map';
  return typeof value;
}

function fail(code: ErrorCode, message: string, cause?: unknown, field?: string): never {
  throw new ChunkDecodeError(code, message, field ? { field } : {}, cause);
}
