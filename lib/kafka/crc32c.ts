/**
 * CRC-32C (Castagnoli), the checksum of every Kafka record batch, eight bytes per step
 * ("slicing-by-8": eight lookup tables, one per byte position).
 *
 * Why here: kafkajs computes it one byte per step in JavaScript; on upload that was the largest
 * single cost on the main thread (about 3 s per GiB on the benchmark machine, more than
 * SHA-512). `useFastCrc32cInKafkajs()` puts this function in Node's module cache where kafkajs
 * 2.2.4 looks for its own (`src/protocol/recordBatch/crc32C/index.js`, loaded with the first
 * produce request). Same input, same output (test/kafka/crc32c.test.ts compares the two, and
 * the broker verifies the CRC of every batch it is sent). If kafkajs's file is not where it is
 * expected, nothing is replaced and kafkajs keeps its own.
 */
import { createRequire, Module } from 'node:module';

const POLYNOMIAL = 0x82f63b78; // reflected Castagnoli

function makeTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    tables[0]![i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let t = 1; t < 8; t++) tables[t]![i] = (tables[0]![tables[t - 1]![i]! & 0xff]! ^ (tables[t - 1]![i]! >>> 8)) >>> 0;
  }
  return tables;
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = makeTables() as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

export function crc32c(data: Uint8Array, initial = 0): number {
  const b = data;
  let crc = ~initial >>> 0;
  let i = 0;
  const end8 = b.length - (b.length % 8);
  for (; i < end8; i += 8) {
    const lo = (crc ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24))) >>> 0;
    crc =
      T7[lo & 0xff]! ^
      T6[(lo >>> 8) & 0xff]! ^
      T5[(lo >>> 16) & 0xff]! ^
      T4[lo >>> 24]! ^
      T3[b[i + 4]!]! ^
      T2[b[i + 5]!]! ^
      T1[b[i + 6]!]! ^
      T0[b[i + 7]!]!;
  }
  for (; i < b.length; i++) crc = T0[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const KAFKAJS_CRC32C = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';

/**
 * Makes kafkajs use `crc32c` for the batches it produces from now on. True when installed (or
 * already), false when kafkajs's module could not be found or was loaded already.
 */
export function useFastCrc32cInKafkajs(): boolean {
  const require = createRequire(import.meta.url);
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
