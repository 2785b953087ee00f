/**
 * The guard in front of the two kafkajs speed patches (lean-encoder.ts: fewer copies of every
 * value produced; crc32c.ts: native CRC-32C of every record batch). Both reach into kafkajs's
 * internals (`src/protocol/...`), which no kafkajs release promises to keep, so they are applied
 * only (STYLE rule 14):
 * - on a call: `createKafka` makes one for the clients the toolkit builds (unless its
 *   `kafkajsSpeedPatches` option is false), an app may call `applyKafkajsSpeedPatches()` itself;
 *   importing the package patches nothing;
 * - for the kafkajs version they were written for (PATCHED_KAFKAJS_VERSION, read from
 *   kafkajs/package.json);
 * - after a one-time self-check: a record batch (values below and above LARGE_PART, built the way
 *   kafkajs's RecordBatch builds one) is encoded unpatched and patched, and the bytes compared.
 * A failed guard leaves kafkajs as it is and logs one warn line naming the check.
 *
 * Scope: kafkajs's modules are shared by the process, so once applied the patches also serve a
 * kafkajs client the app builds itself; the self-check is what makes that safe. A client the app
 * used before (its produce path loaded) keeps kafkajs's own CRC-32C: the check says so.
 */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { crc32c, useFastCrc32cInKafkajs } from './crc32c.js';
import { kafkajsEncoderClass, LARGE_PART, patchEncoder, type EncoderClass } from './lean-encoder.js';

/** The kafkajs release whose internals both patches were written against. */
export const PATCHED_KAFKAJS_VERSION = '2.2.4';

export interface SpeedPatchResult {
  leanEncoder: boolean;
  crc32c: boolean;
  /** Which check failed, when one did: 'version', 'encoder-shape', 'encoder-bytes', 'crc32c-native', 'crc32c-bytes', 'crc32c-loaded'. */
  failed: string[];
}

export interface SpeedPatchOptions {
  logger?: Logger;
  /** kafkajs's version as installed; a parameter so that tests can present another one. */
  kafkajsVersion?: string;
}

type Crc = (data: Buffer) => number;
interface Encoder {
  writeInt8(v: number): Encoder;
  writeInt16(v: number): Encoder;
  writeInt32(v: number): Encoder;
  writeUInt32(v: number): Encoder;
  writeInt64(v: number): Encoder;
  writeArray(v: unknown[]): Encoder;
  writeEncoder(v: Encoder): Encoder;
  writeEncoderArray(v: Encoder[]): Encoder;
  writeBytes(v: Buffer): Encoder;
  buffer: Buffer;
}

const require = createRequire(import.meta.url);
let outcome: SpeedPatchResult | undefined;

export function installedKafkajsVersion(): string | undefined {
  try {
    return (require('kafkajs/package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * A produce request's record batch, encoded with kafkajs's Encoder and Record and `crc`, the
 * way kafkajs's RecordBatch v0 and produce v3 request nest them. Synchronous (no compression),
 * so that `createKafka` stays synchronous.
 */
export function sampleBatch(Encoder: EncoderClass, crc: Crc): Buffer {
  const E = Encoder as unknown as new () => Encoder;
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: object) => Encoder;
  const values = [3, LARGE_PART - 1, LARGE_PART, 70_000, 0, 200_000].map((n, i) => Buffer.alloc(n, (i * 37 + 11) & 0xff));
  const records = values.map((value, i) => Record({ offsetDelta: i, timestampDelta: i, key: Buffer.from(`chunk_${i}`), value, headers: {} }));
  const body = new E().writeInt16(0).writeInt32(values.length - 1).writeInt64(1_700_000_000_000).writeInt64(1_700_000_000_005).writeInt64(-1).writeInt16(0).writeInt32(0).writeArray(records);
  const batch = new E().writeInt32(0).writeInt8(2).writeUInt32(crc(body.buffer)).writeEncoder(body);
  const set = new E().writeInt64(0).writeBytes(batch.buffer);
  const partitions = [new E().writeInt32(2).writeEncoder(set), new E().writeInt32(0).writeBytes(set.buffer)];
  return Buffer.from(new E().writeInt32(partitions.length).writeEncoderArray(partitions).buffer);
}

/**
 * Installs a patch of `Encoder` and keeps it only if `sampleBatch` gives the same bytes as
 * before it; otherwise restores kafkajs's own methods. True when kept.
 */
export function encoderPatchHolds(Encoder: EncoderClass, install: (Encoder: EncoderClass) => () => void, crc: Crc): boolean {
  const before = sampleBatch(Encoder, crc);
  const restore = install(Encoder);
  let after: Buffer | undefined;
  try {
    after = sampleBatch(Encoder, crc);
  } catch {
    after = undefined;
  }
  if (after?.equals(before)) return true;
  restore();
  return false;
}

/** The native CRC-32C gives kafkajs's own checksum for the sample batch and odd lengths. */
export function crcHolds(native: Crc, own: Crc, Encoder: EncoderClass): boolean {
  const bytes = sampleBatch(Encoder, own);
  for (const [at, length] of [[0, bytes.length], [1, 31], [3, 4097], [7, 0], [5, 65_536]] as const) {
    const view = bytes.subarray(at, at + length);
    if (native(view) >>> 0 !== own(view) >>> 0) return false;
  }
  return true;
}

function check(failed: string[]): Pick<SpeedPatchResult, 'leanEncoder' | 'crc32c'> {
  const Encoder = kafkajsEncoderClass();
  if (!Encoder) {
    failed.push('encoder-shape');
    return { leanEncoder: false, crc32c: false };
  }
  const own = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as Crc;
  const leanEncoder = encoderPatchHolds(Encoder, patchEncoder, own);
  if (!leanEncoder) failed.push('encoder-bytes');
  if (!crc32c) failed.push('crc32c-native');
  else if (!crcHolds(crc32c, own, Encoder)) failed.push('crc32c-bytes');
  else if (!useFastCrc32cInKafkajs()) failed.push('crc32c-loaded');
  return { leanEncoder, crc32c: failed.every((f) => !f.startsWith('crc32c')) };
}

/**
 * Applies both patches to kafkajs if its version and the self-check allow (the check runs once
 * per process; a version that does not match changes nothing). Logs one line either way: debug
 * when applied, warn naming what failed otherwise.
 */
export function applyKafkajsSpeedPatches(options: SpeedPatchOptions = {}): SpeedPatchResult {
  const version = options.kafkajsVersion ?? installedKafkajsVersion();
  const log = options.logger?.child({ component: 'kafka' });
  if (version !== PATCHED_KAFKAJS_VERSION) {
    log?.warn({ check: 'version', kafkajs: version, writtenFor: PATCHED_KAFKAJS_VERSION }, `kafkajs speed patches not applied: kafkajs is ${version ?? 'not found'}, they were written for ${PATCHED_KAFKAJS_VERSION}; running kafkajs unpatched`);
    return { leanEncoder: false, crc32c: false, failed: ['version'] };
  }
  if (outcome) return outcome;
  const failed: string[] = [];
  outcome = { ...check(failed), failed };
  if (failed.length === 0) log?.debug('kafkajs speed patches applied (lean encoder, native CRC-32C)');
  else log?.warn({ check: failed }, `kafkajs speed patches: the self-check failed (${failed.join(', ')}); running kafkajs ${outcome.leanEncoder || outcome.crc32c ? 'partly ' : ''}unpatched`);
  return outcome;
}
