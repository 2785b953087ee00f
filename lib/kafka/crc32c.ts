/**
 * CRC-32C (Castagnoli), the checksum of every Kafka record batch, from `@node-rs/crc32`
 * (prebuilt native code using the CPU's CRC instructions).
 *
 * Why here: kafkajs computes it one byte per step in JavaScript; on upload that was the largest
 * single cost on the main thread (about 3 s per GiB on the benchmark machine, more than
 * SHA-512; the native one takes about 0.35 s). `useFastCrc32cInKafkajs()` puts it in Node's
 * module cache where kafkajs 2.2.4 looks for its own (`src/protocol/recordBatch/crc32C/index.js`,
 * loaded with the first produce request). Same input, same output (test/kafka/crc32c.test.ts
 * compares the two, and the broker verifies the CRC of every batch it is sent). If kafkajs's
 * file is not where it is expected, or the native package has no build for this platform,
 * nothing is replaced and kafkajs keeps its own.
 */
import { createRequire, Module } from 'node:module';

type Crc32c = (data: Buffer) => number;

const require = createRequire(import.meta.url);
const KAFKAJS_CRC32C = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';

function loadNative(): Crc32c | undefined {
  try {
    return (require('@node-rs/crc32') as { crc32c: Crc32c }).crc32c;
  } catch {
    return undefined;
  }
}

const native = loadNative();

/** CRC-32C of `data` as an unsigned number; undefined when the native code is unavailable. */
export const crc32c: Crc32c | undefined = native && ((data) => native(data) >>> 0);

/**
 * Makes kafkajs use `crc32c` for the batches it produces from now on. True when installed (or
 * already), false when kafkajs's module could not be found or was loaded already, or there is
 * no native CRC-32C here.
 */
export function useFastCrc32cInKafkajs(): boolean {
  if (crc32c === undefined) return false;
  let path: string;
  try {
    path = require.resolve(KAFKAJS_CRC32C);
  } catch {
    return false;
  }
  const cached = require.cache[path];
  if (cached) return cached.exports === crc32c;
  const module = new Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = crc32c;
  require.cache[path] = module;
  return true;
}
