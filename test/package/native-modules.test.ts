/**
 * The native pieces load and work on the Node line running the tests (CI runs this file on each
 * tested line: 24, 22, 20). They are N-API addons installed as prebuilt packages, so one install
 * serves every line; this is the check that it does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { compressFrame, decompressFrame } from 'lz4-napi';
import snappy from 'snappy';
import { crc32c } from '../../lib/kafka/crc32c.js';

const require = createRequire(import.meta.url);

test(`@node-rs/crc32 loads on Node ${process.version} and gives the CRC-32C check value`, () => {
  const native = require('@node-rs/crc32') as { crc32c: (data: Buffer) => number };
  assert.equal(native.crc32c(Buffer.from('123456789')) >>> 0, 0xe3069283);
  assert.ok(crc32c, 'the produce path found the native CRC-32C');
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test(`snappy loads on Node ${process.version} and round-trips`, async () => {
  const input = Buffer.from('datafile-stream '.repeat(1000));
  const packed = await snappy.compress(input);
  assert.ok(packed.length < input.length / 10, `compressed to ${packed.length} bytes`);
  assert.deepEqual(await snappy.uncompress(packed), input);
});

test(`lz4-napi (the tests' reference for the LZ4 frame codec) loads on Node ${process.version}`, async () => {
  const input = Buffer.from('abc'.repeat(5000));
  assert.deepEqual(await decompressFrame(await compressFrame(input)), input);
});
