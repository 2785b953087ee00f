/**
 * Fewer copies in kafkajs's produce path. kafkajs 2.2.4 builds a produce request with nested
 * Encoders (record, record set, batch body, batch, partition, topic, request, size prefix), and
 * each level copied every record value into a buffer grown by doubling with `Buffer.alloc`
 * (zero-filled first): about ten copies and six zero-fills of every byte uploaded, which with the
 * garbage collection they caused was most of the uploader's main-thread time.
 *
 * `useLeanEncoderInKafkajs()` replaces six methods and the `buffer` getter of kafkajs's
 * `src/protocol/encoder.js` class (ensureAvailable, writeBufferInternal, writeBytes, writeEncoder,
 * writeEncoderArray, size), with the same bytes out (test/kafka/lean-encoder.test.ts):
 * - a buffer of LARGE_PART bytes or more written into an Encoder, or another Encoder holding
 *   such parts, is kept by reference as a part instead of being copied;
 * - `buffer` joins the parts once, into a buffer of exactly their size, and keeps the result;
 * - `size()` counts the parts;
 * - growth uses `Buffer.allocUnsafe` (the Encoder never exposes bytes it did not write).
 * A value is then copied where kafkajs needs it contiguous: into the record set the codec
 * compresses, the batch body the CRC covers, the batch, and the request written to the socket.
 * Parts are only ever read: a part is a view of bytes below the writer's `offset`, and writes
 * land at `offset` or beyond. If the class is not found or has another shape, nothing changes.
 *
 * Nothing here runs on import. kafkajs-speed-patches.ts decides whether to install (the kafkajs
 * version it was written for, and a self-check that encodes a batch both ways); `patchEncoder`
 * returns the function that puts kafkajs's own methods back.
 */
import { createRequire } from 'node:module';

/** Buffers at least this long are kept by reference rather than copied. */
export const LARGE_PART = 16 * 1024;

interface LeanFields {
  buf: Buffer;
  offset: number;
  /** Parts written before the bytes of `buf` from `mark` to `offset`. */
  parts?: Buffer[];
  partsBytes?: number;
  mark?: number;
}
type EncoderLike = LeanFields & Record<string, unknown>;
export interface EncoderClass {
  nextPowerOfTwo(value: number): number;
  prototype: Record<string, unknown>;
}

const KAFKAJS_ENCODER = 'kafkajs/src/protocol/encoder.js';
const REPLACED = ['ensureAvailable', 'writeBufferInternal', 'writeBytes', 'writeEncoder', 'writeEncoderArray', 'size'] as const;
let installed: (() => void) | undefined;
const patched = new WeakSet<object>();

/** kafkajs's Encoder class, or undefined when it is not found or has another shape. */
export function kafkajsEncoderClass(): EncoderClass | undefined {
  let Encoder: EncoderClass;
  try {
    Encoder = createRequire(import.meta.url)(KAFKAJS_ENCODER) as EncoderClass;
  } catch {
    return undefined;
  }
  const proto = Encoder?.prototype;
  const bufferGetter = proto && Object.getOwnPropertyDescriptor(proto, 'buffer')?.get;
  if (typeof Encoder?.nextPowerOfTwo !== 'function' || !bufferGetter || REPLACED.some((name) => typeof proto[name] !== 'function')) return undefined;
  return Encoder;
}

/** Moves the bytes written since the last part into the part list. */
function closeScratch(e: LeanFields): void {
  const mark = e.mark ?? 0;
  e.parts ??= [];
  e.partsBytes ??= 0;
  if (e.offset > mark) {
    e.parts.push(e.buf.subarray(mark, e.offset));
    e.partsBytes += e.offset - mark;
  }
  e.mark = e.offset;
}

function addPart(e: LeanFields, part: Buffer): void {
  closeScratch(e);
  e.parts!.push(part);
  e.partsBytes! += part.length;
}

/** The joined bytes; replaces kafkajs's `buffer` getter. */
function joinedBuffer(this: LeanFields): Buffer {
  if (this.parts === undefined) return this.buf.subarray(0, this.offset);
  closeScratch(this);
  const joined = Buffer.concat(this.parts, this.partsBytes);
  this.buf = joined;
  this.offset = joined.length;
  this.parts = undefined;
  this.partsBytes = undefined;
  this.mark = undefined;
  return joined;
}

/** The replacement methods for `Encoder`'s prototype (the originals are needed for small values). */
function leanMethods(Encoder: EncoderClass): Record<(typeof REPLACED)[number], unknown> {
  const originalWriteBytes = Encoder.prototype.writeBytes as (this: unknown, value: unknown) => unknown;
  const ensureAvailable = function (this: LeanFields, length: number): void {
    if (this.offset + length <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  const writeBufferInternal = function (this: LeanFields, buffer: Buffer): void {
    if (buffer.length >= LARGE_PART) return addPart(this, buffer);
    ensureAvailable.call(this, buffer.length);
    buffer.copy(this.buf, this.offset, 0);
    this.offset += buffer.length;
  };
  /** Writes another Encoder's bytes: its parts by reference, its small remainder copied. */
  const addEncoder = (e: EncoderLike, other: EncoderLike): void => {
    if (other === null || typeof other !== 'object' || !Buffer.isBuffer(other.buf)) throw new Error('value should be an instance of Encoder');
    if (other.parts === undefined) return writeBufferInternal.call(e, other.buf.subarray(0, other.offset));
    closeScratch(e);
    closeScratch(other);
    for (const part of other.parts) e.parts!.push(part);
    e.partsBytes! += other.partsBytes!;
  };
  return {
    ensureAvailable,
    writeBufferInternal,
    writeBytes(this: EncoderLike, value: unknown): unknown {
      if (!Buffer.isBuffer(value) || value.length < LARGE_PART) return originalWriteBytes.call(this, value);
      (this.writeInt32 as (this: unknown, n: number) => void).call(this, value.length);
      addPart(this, value);
      return this;
    },
    writeEncoder(this: EncoderLike, value: EncoderLike): unknown {
      addEncoder(this, value);
      return this;
    },
    writeEncoderArray(this: EncoderLike, values: EncoderLike[]): unknown {
      if (!Array.isArray(values)) throw new Error('all values should be an instance of Encoder[]');
      for (const value of values) addEncoder(this, value);
      return this;
    },
    size(this: LeanFields): number {
      return this.parts === undefined ? this.offset : this.partsBytes! + this.offset - this.mark!;
    },
  };
}

/** Installs the lean methods on `Encoder`; returns the function that restores kafkajs's own. */
export function patchEncoder(Encoder: EncoderClass): () => void {
  const proto = Encoder.prototype;
  // A second install would keep the lean methods as "kafkajs's own" (small writes would recurse).
  if (patched.has(proto)) return () => undefined;
  patched.add(proto);
  const originals = REPLACED.map((name) => [name, proto[name]] as const);
  const originalBuffer = Object.getOwnPropertyDescriptor(proto, 'buffer')!;
  Object.assign(proto, leanMethods(Encoder));
  Object.defineProperty(proto, 'buffer', { configurable: true, get: joinedBuffer });
  return () => {
    for (const [name, method] of originals) proto[name] = method;
    Object.defineProperty(proto, 'buffer', originalBuffer);
    patched.delete(proto);
  };
}

/**
 * True once kafkajs's Encoder keeps large buffers by reference (idempotent). Unguarded: the
 * toolkit calls it through applyKafkajsSpeedPatches (kafkajs-speed-patches.ts).
 */
export function useLeanEncoderInKafkajs(): boolean {
  if (installed) return true;
  const Encoder = kafkajsEncoderClass();
  if (!Encoder) return false;
  installed = patchEncoder(Encoder);
  return true;
}
