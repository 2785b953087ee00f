/**
 * compression: the record-batch codecs kafkajs lacks, registered into its codec table.
 *
 * In: nothing at import; `registerCodecs()` (idempotent) fills `CompressionCodecs` for
 * - LZ4: the LZ4 *frame* format (magic 04 22 4D 18, independent 64 KiB blocks), which Kafka's
 *   Java client and librdkafka write into v2 record batches (lz4-frame.ts). OpenMSIStream ships
 *   `compression.type = lz4`, so a consumer cannot read its topics without this one.
 * - Snappy: written in xerial framing, as the Java producer writes it; read in xerial framing or
 *   as one raw snappy block, which is what librdkafka writes.
 * - ZSTD: only where Node's zlib has zstd (Node >= 22.15); Node 20 has no prebuilt, maintained
 *   zstd codec that installs without compiling, so there it stays unregistered and
 *   `compressionFromName('zstd')` says so.
 * Out: `compressionFromName(name)` maps librdkafka's `compression.type` names to kafkajs
 * `CompressionTypes`, throwing ConfigError ERR_CONFIG_VALUE for an unknown or unavailable codec.
 *
 * Codecs work on one whole record batch at a time (kafkajs hands them the batch's record bytes),
 * so memory is bounded by the batch size the caller configures, not by anything here.
 */
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import snappy from 'snappy';
import { ConfigError } from '../errors.js';
import { decodeLz4Frame, encodeLz4Frame } from './lz4-frame.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;
type CompressionType = kafkajs.CompressionTypes;

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** What kafkajs calls with a batch: `compress` gets its Encoder, `decompress` the raw bytes. */
interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const lz4Codec: Codec = {
  // Independent 64 KiB blocks, no checksums: what Kafka's Java KafkaLZ4BlockOutputStream
  // writes; the broker decompresses it to validate each batch. In TypeScript rather than
  // lz4-napi: the addon's buffers are invisible to V8's memory accounting, so a consumer
  // collected them late and its RSS grew by hundreds of MiB (see lz4-frame.ts).
  compress: async (encoder) => encodeLz4Frame(encoder.buffer),
  decompress: async (buffer) => decodeLz4Frame(buffer),
};

/** xerial snappy-java stream header: magic, then version 1 and minimum compatible version 1. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_LENGTH = 16;
/** SnappyOutputStream's default block size, which the Java producer uses. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

async function snappyCompress(encoder: { buffer: Buffer }): Promise<Buffer> {
  const input = encoder.buffer;
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (let start = 0; start < input.length; start += XERIAL_BLOCK_SIZE) {
    const block = await snappy.compress(input.subarray(start, start + XERIAL_BLOCK_SIZE));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

async function snappyDecompress(buffer: Buffer): Promise<Buffer> {
  const xerial = buffer.length >= XERIAL_HEADER_LENGTH && buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
  if (!xerial) return (await snappy.uncompress(buffer)) as Buffer;
  const parts: Buffer[] = [];
  let at = XERIAL_HEADER_LENGTH;
  while (at < buffer.length) {
    if (at + 4 > buffer.length) throw new RangeError('truncated xerial snappy block length');
    const length = buffer.readUInt32BE(at);
    at += 4;
    if (at + length > buffer.length) throw new RangeError('truncated xerial snappy block');
    parts.push((await snappy.uncompress(buffer.subarray(at, at + length))) as Buffer);
    at += length;
  }
  return Buffer.concat(parts);
}

const snappyCodec: Codec = { compress: snappyCompress, decompress: snappyDecompress };

/** Node's zlib zstd (22.15+); @types/node 20 does not declare it, hence the loose lookup. */
type BufferFn = (input: Buffer, callback: (err: Error | null, out: Buffer) => void) => void;
const zlibZstd = zlib as unknown as { zstdCompress?: BufferFn; zstdDecompress?: BufferFn };

function zstdCodec(): Codec | undefined {
  if (typeof zlibZstd.zstdCompress !== 'function' || typeof zlibZstd.zstdDecompress !== 'function') return undefined;
  const compress = promisify(zlibZstd.zstdCompress);
  const decompress = promisify(zlibZstd.zstdDecompress);
  return { compress: async (encoder) => compress(encoder.buffer), decompress: async (buffer) => decompress(buffer) };
}

let registered: ReadonlySet<CompressionName> | undefined;

/** Fills kafkajs's codec table once per process and says which codecs are available. */
export function registerCodecs(): ReadonlySet<CompressionName> {
  if (registered) return registered;
  const available = new Set<CompressionName>(['none', 'gzip', 'lz4', 'snappy']);
  const codecs = CompressionCodecs as Record<number, () => Codec>;
  codecs[CompressionTypes.LZ4] = () => lz4Codec;
  codecs[CompressionTypes.Snappy] = () => snappyCodec;
  const zstd = zstdCodec();
  if (zstd) {
    codecs[CompressionTypes.ZSTD] = () => zstd;
    available.add('zstd');
  }
  registered = available;
  return registered;
}

const NAMES: Record<CompressionName, CompressionType> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** librdkafka `compression.type` (any case) -> kafkajs CompressionTypes, with its codec registered. */
export function compressionFromName(name: string): CompressionType {
  const key = name.trim().toLowerCase() as CompressionName;
  const type = Object.hasOwn(NAMES, key) ? NAMES[key] : undefined;
  if (type === undefined) {
    throw new ConfigError('ERR_CONFIG_VALUE', `compression.type must be one of none, gzip, snappy, lz4, zstd; got "${name}"`, {
      option: 'compression.type',
    });
  }
  if (!registerCodecs().has(key)) {
    throw new ConfigError('ERR_CONFIG_VALUE', `compression.type ${key} needs Node >= 22.15 (zlib zstd); this is Node ${process.versions.node}`, {
      option: 'compression.type',
    });
  }
  return type;
}
