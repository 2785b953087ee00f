/**
 * The LZ4 frame format (what Kafka's Java client and librdkafka put in LZ4 record batches), in
 * plain TypeScript: `decodeLz4Frame` reads any frame those write; `encodeLz4Frame` writes the
 * frame Kafka's Java client writes (version 01, independent 64 KiB blocks, no checksums, a block
 * that does not shrink stored as is).
 *
 * Why not the native codec: a native addon's output buffers are memory V8 does not know about,
 * so it collects them late; at 100 MiB/s of batches that let a consumer's RSS climb to several
 * hundred MiB of garbage. Buffers allocated here are ordinary Node buffers the collector counts.
 *
 * In: one record batch's bytes. Out: a Buffer. Errors: a malformed, truncated or hostile frame
 * throws an Lz4FrameError (kafkajs turns it into a failed fetch); output is bounded by the
 * frame's own block size per block and by `maxOutputBytes` in all (default 1 GiB).
 * Checksums (optional in the format, off in what Kafka writes) are skipped, not verified: every
 * chunk carries its SHA-512, which the consumer verifies anyway. The header checksum is verified.
 */
import { xxhash32 } from './xxhash32.js';

export class Lz4FrameError extends Error {
  override readonly name = 'Lz4FrameError';
}

const MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const DEFAULT_MAX_OUTPUT = 1024 * 1024 * 1024;
const BLOCK_SIZE = 64 * 1024;
/** FLG version 01 + independent blocks; BD 64 KiB max block; their header checksum. */
const FLG = 0x60;
const BD = 0x40;
const HEADER_CHECKSUM = (xxhash32(Uint8Array.of(FLG, BD)) >>> 8) & 0xff;

function u32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** Hot loops index plain Uint8Arrays: one element kind keeps V8's element access monomorphic. */
function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function fail(message: string): never {
  throw new Lz4FrameError(`LZ4 frame: ${message}`);
}

/** A byte buffer that grows by doubling, never past `max`. */
class Output {
  buf: Buffer;
  len = 0;
  constructor(
    initial: number,
    readonly max: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(16, Math.min(initial, max)));
  }

  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    if (need > this.max) fail(`decompressed size exceeds the limit of ${this.max} bytes`);
    const next = Buffer.allocUnsafe(Math.min(this.max, Math.max(need, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  result(): Buffer {
    // Record values are views into this buffer and keep it alive: do not pin much slack.
    if (this.buf.length - this.len > this.len / 4) return Buffer.from(this.buf.subarray(0, this.len));
    return this.buf.subarray(0, this.len);
  }
}

export function decodeLz4Frame(input: Uint8Array, maxOutputBytes = DEFAULT_MAX_OUTPUT): Buffer {
  const out = new Output(input.length + 1024, maxOutputBytes);
  let pos = 0;
  let frames = 0;
  while (pos < input.length) {
    if (pos + 4 > input.length) fail('truncated magic number');
    const magic = u32(input, pos);
    if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      if (pos + 8 > input.length) fail('truncated skippable frame');
      pos += 8 + u32(input, pos + 4);
      continue;
    }
    if (magic !== MAGIC) fail(frames === 0 ? 'not an LZ4 frame (bad magic number)' : 'bytes after the last frame');
    pos = decodeFrame(input, pos + 4, out);
    frames++;
  }
  if (frames === 0) fail('no frame');
  return out.result();
}

/** One frame from its descriptor on; returns the position after it. */
function decodeFrame(input: Uint8Array, start: number, out: Output): number {
  if (start + 3 > input.length) fail('truncated frame descriptor');
  const flg = input[start]!;
  const bd = input[start + 1]!;
  if (flg >>> 6 !== 1) fail(`unsupported version ${flg >>> 6}`);
  if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) fail('reserved bits set in the frame descriptor');
  const independent = (flg & 0x20) !== 0;
  const blockChecksums = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const dictId = (flg & 0x01) !== 0;
  const sizeCode = (bd >>> 4) & 0x07;
  if (sizeCode < 4) fail(`invalid block maximum size code ${sizeCode}`);
  const blockMax = 1 << (2 * sizeCode + 8);
  const descriptorLength = 2 + (contentSize ? 8 : 0) + (dictId ? 4 : 0);
  if (start + descriptorLength + 1 > input.length) fail('truncated frame descriptor');
  if (dictId) fail('frames with a dictionary are not supported');
  const checksum = (xxhash32(input.subarray(start, start + descriptorLength)) >>> 8) & 0xff;
  if (checksum !== input[start + descriptorLength]) fail('frame header checksum mismatch');
  let pos = start + descriptorLength + 1;
  const frameStart = out.len;
  for (;;) {
    if (pos + 4 > input.length) fail('truncated block size (no end mark)');
    const word = u32(input, pos);
    pos += 4;
    if (word === 0) break;
    const stored = word >= 0x80000000;
    const size = word & 0x7fffffff;
    if (size > blockMax) fail(`block of ${size} bytes exceeds the frame's ${blockMax}`);
    if (pos + size > input.length) fail('truncated block');
    if (stored) {
      out.ensure(size);
      out.buf.set(input.subarray(pos, pos + size), out.len);
      out.len += size;
    } else {
      decodeBlock(plain(input), pos, pos + size, out, blockMax, independent ? out.len : frameStart);
    }
    pos += size + (blockChecksums ? 4 : 0);
  }
  pos += contentChecksum ? 4 : 0;
  if (pos > input.length) fail('truncated checksum');
  return pos;
}

/** One LZ4 block (sequences of literals and back-references) appended to `out`. */
function decodeBlock(src: Uint8Array, s: number, end: number, out: Output, blockMax: number, windowStart: number): void {
  out.ensure(blockMax);
  const dst = plain(out.buf);
  let d = out.len;
  const limit = out.len + blockMax;
  while (s < end) {
    const token = src[s++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (s >= end) fail('truncated literal length');
        b = src[s++]!;
        literals += b;
      } while (b === 255);
    }
    if (s + literals > end) fail('literals run past the block');
    if (d + literals > limit) fail('block decompresses past its maximum size');
    if (literals < 32) for (let k = 0; k < literals; k++) dst[d + k] = src[s + k]!;
    else dst.set(src.subarray(s, s + literals), d);
    d += literals;
    s += literals;
    if (s === end) break; // the last sequence has literals only
    if (s + 2 > end) fail('truncated match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || d - offset < windowStart) fail('match offset outside the window');
    let length = token & 0x0f;
    if (length === 15) {
      let b: number;
      do {
        if (s >= end) fail('truncated match length');
        b = src[s++]!;
        length += b;
      } while (b === 255);
    }
    length += 4;
    if (d + length > limit) fail('block decompresses past its maximum size');
    const m = d - offset;
    if (offset < length || length < 32) for (let k = 0; k < length; k++) dst[d + k] = dst[m + k]!;
    else dst.copyWithin(d, m, m + length);
    d += length;
  }
  out.len = d;
}

// ---------------------------------------------------------------------------------------------
// encoding

const HASH_LOG = 14;
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const MAX_OFFSET = 65535;
/** Positions of 4-byte sequences seen; stale entries are harmless (every candidate is compared). */
const table = new Int32Array(1 << HASH_LOG);

export function encodeLz4Frame(input: Uint8Array): Buffer {
  const blocks = Math.ceil(input.length / BLOCK_SIZE);
  const out = Buffer.allocUnsafe(7 + blocks * 4 + input.length + 4);
  out.writeUInt32LE(MAGIC, 0);
  out[4] = FLG;
  out[5] = BD;
  out[6] = HEADER_CHECKSUM;
  let d = 7;
  const src = plain(input);
  const dst = plain(out);
  for (let s = 0; s < input.length; s += BLOCK_SIZE) {
    const end = Math.min(input.length, s + BLOCK_SIZE);
    const written = compressBlock(src, s, end, dst, d + 4, d + 4 + (end - s));
    if (written < 0) {
      out.writeUInt32LE((0x80000000 | (end - s)) >>> 0, d);
      out.set(input.subarray(s, end), d + 4);
      d += 4 + (end - s);
    } else {
      out.writeUInt32LE(written - (d + 4), d);
      d = written;
    }
  }
  out.writeUInt32LE(0, d);
  d += 4;
  return out.subarray(0, d);
}

function hash(sequence: number): number {
  return Math.imul(sequence, 2654435761) >>> (32 - HASH_LOG);
}

/**
 * Greedy LZ4 block compression of `src[s0, s1)` into `dst` from `d`; returns the end position,
 * or -1 when the result would not be smaller than `dLimit` (the caller then stores the block).
 * The search steps faster the longer it finds nothing, so incompressible data costs little.
 */
function compressBlock(src: Uint8Array, s0: number, s1: number, dst: Uint8Array, d: number, dLimit: number): number {
  let anchor = s0;
  let ip = s0;
  const mfLimit = s1 - MF_LIMIT;
  const matchLimit = s1 - LAST_LITERALS;
  if (s1 - s0 > MF_LIMIT) {
    outer: for (;;) {
      let attempts = 1 << 6;
      let candidate: number;
      let sequence: number;
      for (;;) {
        if (ip > mfLimit) break outer;
        sequence = u32(src, ip);
        const h = hash(sequence);
        candidate = table[h]!;
        table[h] = ip;
        if (candidate >= s0 && candidate < ip && ip - candidate <= MAX_OFFSET && u32(src, candidate) === sequence) break;
        ip += attempts++ >>> 6;
      }
      while (ip > anchor && candidate > s0 && src[ip - 1] === src[candidate - 1]) {
        ip--;
        candidate--;
      }
      let length = MIN_MATCH;
      while (ip + length < matchLimit && src[ip + length] === src[candidate + length]) length++;
      const literals = ip - anchor;
      if (d + 1 + literals + Math.ceil((literals + 1) / 255) + 2 + Math.ceil((length + 1) / 255) >= dLimit) return -1;
      d = writeSequence(src, anchor, literals, dst, d, ip - candidate, length);
      ip += length;
      anchor = ip;
      if (ip <= mfLimit) table[hash(u32(src, ip - 2))] = ip - 2;
    }
  }
  const literals = s1 - anchor;
  if (d + 1 + literals + Math.ceil((literals + 1) / 255) >= dLimit) return -1;
  return writeSequence(src, anchor, literals, dst, d, 0, 0);
}

/** Token, literal length, literals, then (unless `length` is 0: the last sequence) offset and match length. */
function writeSequence(src: Uint8Array, from: number, literals: number, dst: Uint8Array, d: number, offset: number, length: number): number {
  const matchCode = length === 0 ? 0 : length - MIN_MATCH;
  const token = d++;
  dst[token] = ((literals >= 15 ? 15 : literals) << 4) | (matchCode >= 15 ? 15 : matchCode);
  if (literals >= 15) {
    let rest = literals - 15;
    for (; rest >= 255; rest -= 255) dst[d++] = 255;
    dst[d++] = rest;
  }
  if (literals < 32) for (let k = 0; k < literals; k++) dst[d + k] = src[from + k]!;
  else dst.set(src.subarray(from, from + literals), d);
  d += literals;
  if (length === 0) return d;
  dst[d++] = offset & 0xff;
  dst[d++] = offset >>> 8;
  if (matchCode >= 15) {
    let rest = matchCode - 15;
    for (; rest >= 255; rest -= 255) dst[d++] = 255;
    dst[d++] = rest;
  }
  return d;
}
