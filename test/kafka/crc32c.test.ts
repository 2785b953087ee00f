import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { crc32c as maybeCrc32c, useFastCrc32cInKafkajs } from '../../lib/kafka/crc32c.js';

const require = createRequire(import.meta.url);
// Linux x64 (this project's machines and CI) has the native build; elsewhere kafkajs keeps its own.
assert.ok(maybeCrc32c, 'the native CRC-32C loads on this platform');
const crc32c = maybeCrc32c;

test('CRC-32C: the standard check value and the RFC 3720 test vectors', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});

test('CRC-32C equals kafkajs\'s own byte-at-a-time implementation at every length and alignment, for Buffer views too', () => {
  const kafkajsCrc = require('../../node_modules/kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
  const big = randomBytes(70_000);
  for (let length = 0; length < 40; length++) {
    for (let at = 0; at < 9; at++) {
      const view = big.subarray(at, at + length);
      assert.equal(crc32c(view), kafkajsCrc(view) >>> 0, `length ${length} at ${at}`);
    }
  }
  for (const length of [1000, 4097, 65_536, 69_990]) assert.equal(crc32c(big.subarray(3, 3 + length)), kafkajsCrc(big.subarray(3, 3 + length)) >>> 0);
});

test('kafkajs takes this CRC-32C for the batches it produces once installed', () => {
  assert.equal(useFastCrc32cInKafkajs(), true);
  assert.equal(useFastCrc32cInKafkajs(), true, 'idempotent');
  const fromKafkajs = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as unknown;
  assert.equal(fromKafkajs, crc32c, 'the module kafkajs requires is this one');
  // kafkajs's record batch encoder, as a produce request loads it, writes this CRC.
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: object) => unknown;
  return RecordBatch({ records: [Record({ key: Buffer.from('k'), value: randomBytes(5000) })], compression: 0, firstTimestamp: 1, maxTimestamp: 1 }).then((batch) => {
    const body = batch.buffer.subarray(8 + 4 + 4 + 1 + 4); // baseOffset, length, leaderEpoch, magic, crc
    assert.equal(batch.buffer.readUInt32BE(8 + 4 + 4 + 1), crc32c(body));
  });
});
