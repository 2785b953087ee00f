/**
 * kafkajs's Encoder after useUnzeroedEncoderGrowthInKafkajs(): growing without zero-fill must
 * not change a single byte it produces, whatever garbage the new memory held.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { useUnzeroedEncoderGrowthInKafkajs } from '../../lib/kafka/encoder-growth.js';

const require = createRequire(import.meta.url);
interface Encoder {
  writeInt32(v: number): Encoder;
  writeVarIntBytes(v: Buffer): Encoder;
  writeString(v: string): Encoder;
  writeEncoder(v: Encoder): Encoder;
  writeBytes(v: Buffer): Encoder;
  buffer: Buffer;
}
const EncoderClass = require('kafkajs/src/protocol/encoder.js') as { new (size?: number): Encoder; prototype: { ensureAvailable: unknown } };

function encodeSample(values: Buffer[]): Buffer {
  const inner = new EncoderClass();
  for (const v of values) inner.writeInt32(v.length).writeVarIntBytes(v).writeString('név/ü');
  return new EncoderClass(4).writeBytes(Buffer.from('head')).writeEncoder(inner).writeInt32(-1).buffer;
}

test('the Encoder grows without zero-filling and writes exactly the same bytes as before', () => {
  const values = [randomBytes(3), randomBytes(700), randomBytes(70_000), Buffer.alloc(0), randomBytes(1_500_000)];
  const before = Buffer.from(encodeSample(values));
  const original = EncoderClass.prototype.ensureAvailable;
  assert.equal(useUnzeroedEncoderGrowthInKafkajs(), true);
  assert.equal(useUnzeroedEncoderGrowthInKafkajs(), true, 'idempotent');
  assert.notEqual(EncoderClass.prototype.ensureAvailable, original, 'replaced');
  // Fill the allocator's pool with non-zero garbage so unwritten bytes would show.
  for (let i = 0; i < 64; i++) Buffer.allocUnsafe(4096).fill(0xa5);
  const after = encodeSample(values);
  assert.equal(after.length, before.length);
  assert.ok(after.equals(before), 'same bytes');
});
