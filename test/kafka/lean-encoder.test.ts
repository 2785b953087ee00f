/**
 * kafkajs's Encoder after useLeanEncoderInKafkajs(): keeping large buffers by reference and
 * growing without zero-fill must not change a single byte kafkajs produces. The same Encoder
 * sequences and a whole produce request (LZ4-compressed and plain) are encoded before and after
 * the change, in one process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { LARGE_PART, useLeanEncoderInKafkajs } from '../../lib/kafka/lean-encoder.js';
import { registerCodecs } from '../../lib/kafka/compression.js';

const require = createRequire(import.meta.url);
interface Encoder {
  writeInt8(v: number): Encoder;
  writeInt32(v: number): Encoder;
  writeVarIntBytes(v: Buffer): Encoder;
  writeString(v: string): Encoder;
  writeEncoder(v: Encoder): Encoder;
  writeEncoderArray(v: Encoder[]): Encoder;
  writeBuffer(v: Buffer): Encoder;
  writeBytes(v: Buffer | string | null): Encoder;
  writeArray(v: unknown[]): Encoder;
  size(): number;
  buffer: Buffer;
}
const EncoderClass = require('kafkajs/src/protocol/encoder.js') as { new (size?: number): Encoder; prototype: object };
const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (o: object) => object;
const createRequest = require('kafkajs/src/protocol/request.js') as (o: object) => Promise<Encoder>;
const LZ4 = 3;

/** Every shape the produce path uses, with sizes on both sides of LARGE_PART; sizes checked at each step. */
function encoderSequence(values: Buffer[]): { bytes: Buffer; sizes: number[] } {
  const sizes: number[] = [];
  const records = values.map((v, i) => {
    const r = new EncoderClass().writeInt8(i).writeVarIntBytes(v).writeString('név/ü');
    sizes.push(r.size());
    return r;
  });
  const set = new EncoderClass().writeInt32(records.length).writeEncoderArray(records);
  sizes.push(set.size());
  const body = new EncoderClass().writeInt32(7).writeBuffer(set.buffer).writeBytes(values.at(-1)!).writeBytes('text').writeBytes(null);
  sizes.push(body.size());
  const outer = new EncoderClass(4).writeBytes(body.buffer).writeArray([new EncoderClass().writeEncoder(body), 'str', 5]);
  sizes.push(outer.size());
  outer.writeInt32(-1); // written after parts were added and after `buffer` joined them
  sizes.push(outer.size());
  const bytes = Buffer.from(outer.buffer);
  sizes.push(outer.writeInt8(1).size());
  return { bytes: Buffer.concat([bytes, outer.buffer]), sizes };
}

async function produceRequest(values: Buffer[], compression: number): Promise<Buffer> {
  const messages = values.map((value, i) => ({ key: Buffer.from(`chunk_${i}`), value, timestamp: 1_700_000_000_000 + i }));
  const request = produceV3({ acks: -1, timeout: 30_000, compression, topicData: [{ topic: 'files', partitions: [{ partition: 2, firstSequence: 0, messages }, { partition: 0, firstSequence: 0, messages: messages.slice(0, 2) }] }] });
  const encoded = await createRequest({ correlationId: 42, clientId: 'datafile-stream', request });
  assert.equal(encoded.size(), encoded.buffer.length, 'size() agrees with the bytes');
  return Buffer.from(encoded.buffer);
}

test('large buffers kept by reference: the same Encoder bytes and sizes, and the same produce requests, as kafkajs\'s own', async () => {
  registerCodecs();
  const values = [randomBytes(3), randomBytes(LARGE_PART - 1), randomBytes(LARGE_PART), randomBytes(70_000), Buffer.alloc(0), randomBytes(600_000)];
  const before = encoderSequence(values);
  const plainBefore = await produceRequest(values, 0);
  const lz4Before = await produceRequest(values, LZ4);

  const originalSize = (EncoderClass.prototype as { size: unknown }).size;
  assert.equal(useLeanEncoderInKafkajs(), true);
  assert.equal(useLeanEncoderInKafkajs(), true, 'idempotent');
  assert.notEqual((EncoderClass.prototype as { size: unknown }).size, originalSize, 'installed');
  for (let i = 0; i < 64; i++) Buffer.allocUnsafe(4096).fill(0xa5); // garbage in the pool would show

  const after = encoderSequence(values);
  assert.deepEqual(after.sizes, before.sizes);
  assert.ok(after.bytes.equals(before.bytes), 'same Encoder bytes');
  assert.ok((await produceRequest(values, 0)).equals(plainBefore), 'same uncompressed produce request');
  assert.ok((await produceRequest(values, LZ4)).equals(lz4Before), 'same LZ4 produce request');
});

test('a large value is not copied until kafkajs asks for contiguous bytes', () => {
  assert.equal(useLeanEncoderInKafkajs(), true);
  const value = randomBytes(LARGE_PART * 2);
  const record = new EncoderClass().writeVarIntBytes(value);
  const outer = new EncoderClass().writeInt32(1).writeEncoder(record);
  value[0] = value[0]! ^ 0xff; // by reference: the change shows in what the encoders hold
  const bytes = outer.buffer;
  assert.equal(bytes[4 + 3], value[0], 'the value was referenced, not copied');
  value[1] = value[1]! ^ 0xff; // after `buffer` joined the parts, it is a copy
  assert.notEqual(outer.buffer[4 + 4], value[1]);
});
