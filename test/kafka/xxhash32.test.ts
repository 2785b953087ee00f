import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xxhash32 } from '../../lib/kafka/xxhash32.js';

test('xxhash32 matches the reference values', () => {
  assert.equal(xxhash32(Buffer.alloc(0)), 0x02cc5d05);
  assert.equal(xxhash32(Buffer.from('abc')), 0x32d153ff);
  assert.equal(xxhash32(Buffer.from('Nobody inspects the spammish repetition')), 0xe2293b2f);
  // The LZ4 frame header checksum of FLG 0x60, BD 0x40 (what Kafka's Java client writes).
  assert.equal((xxhash32(Uint8Array.of(0x60, 0x40)) >>> 8) & 0xff, 0x82);
});

test('xxhash32 takes a seed and reads views at an offset', () => {
  const bytes = Buffer.from('xxabcdefghijklmnopqrstuvwxyz');
  assert.equal(xxhash32(bytes.subarray(2)), xxhash32(Buffer.from('abcdefghijklmnopqrstuvwxyz')));
  assert.notEqual(xxhash32(bytes, 1), xxhash32(bytes, 0));
});
