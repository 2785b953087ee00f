import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import snappy from 'snappy';
import { compressionFromName, registerCodecs } from '../../lib/kafka/compression.js';
import { isCodedError } from '../../lib/errors.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
const codec = (type: number): Codec => (CompressionCodecs as Record<number, () => Codec>)[type]!();

/** Compressible but not trivial: random words, so blocks of every codec hold real back-references. */
function sampleBatch(bytes: number): Buffer {
  const words = Array.from({ length: 64 }, () => randomBytes(6).toString('hex'));
  let text = '';
  while (text.length < bytes) text += `${words[Math.floor(Math.random() * words.length)]} `;
  return Buffer.from(text.slice(0, bytes));
}

test('registerCodecs is idempotent and makes LZ4 and Snappy available to kafkajs', () => {
  const first = registerCodecs();
  const second = registerCodecs();
  assert.equal(first, second);
  for (const name of ['none', 'gzip', 'lz4', 'snappy'] as const) assert.ok(first.has(name), name);
  assert.doesNotThrow(() => codec(CompressionTypes.LZ4));
  assert.doesNotThrow(() => codec(CompressionTypes.Snappy));
});

test('LZ4 writes the LZ4 frame format and round-trips batches spanning many 64 KiB blocks', async () => {
  registerCodecs();
  for (const size of [0, 1, 1000, 65_536, 300_001]) {
    const input = sampleBatch(size);
    const compressed = await codec(CompressionTypes.LZ4).compress({ buffer: input });
    assert.deepEqual([...compressed.subarray(0, 4)], [0x04, 0x22, 0x4d, 0x18], 'frame magic');
    // FLG: version 01, independent blocks (what Kafka's Java reader requires).
    assert.equal(compressed[4]! & 0xe0, 0x60);
    assert.deepEqual(await codec(CompressionTypes.LZ4).decompress(compressed), input);
  }
});

test('LZ4 reads a frame whose block is stored uncompressed, as Java writes incompressible blocks', async () => {
  registerCodecs();
  // magic, FLG 0x60, BD 0x40 (64 KiB), header checksum, block of 5 raw bytes (high bit set), end mark
  const frame = Buffer.from('04224d18604082' + '05000080' + Buffer.from('hello').toString('hex') + '00000000', 'hex');
  assert.equal((await codec(CompressionTypes.LZ4).decompress(frame)).toString(), 'hello');
});

test('LZ4 rejects bytes that are not a frame', async () => {
  registerCodecs();
  await assert.rejects(codec(CompressionTypes.LZ4).decompress(Buffer.from('not an lz4 frame at all')));
});

test('Snappy writes xerial framing in 32 KiB blocks and round-trips', async () => {
  registerCodecs();
  const input = sampleBatch(100_000);
  const compressed = await codec(CompressionTypes.Snappy).compress({ buffer: input });
  assert.deepEqual([...compressed.subarray(0, 16)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  let blocks = 0;
  for (let at = 16; at < compressed.length; at += 4 + compressed.readUInt32BE(at)) blocks += 1;
  assert.equal(blocks, 4);
  assert.deepEqual(await codec(CompressionTypes.Snappy).decompress(compressed), input);
});

test('Snappy reads one raw block, as librdkafka writes it', async () => {
  registerCodecs();
  const input = sampleBatch(50_000);
  const raw = await snappy.compress(input);
  assert.deepEqual(await codec(CompressionTypes.Snappy).decompress(raw), input);
});

test('Snappy rejects a truncated xerial stream', async () => {
  registerCodecs();
  const compressed = await codec(CompressionTypes.Snappy).compress({ buffer: sampleBatch(10_000) });
  await assert.rejects(codec(CompressionTypes.Snappy).decompress(compressed.subarray(0, compressed.length - 3)), RangeError);
});

test('compressionFromName maps librdkafka names, in any case, to kafkajs types', () => {
  assert.equal(compressionFromName('none'), CompressionTypes.None);
  assert.equal(compressionFromName('gzip'), CompressionTypes.GZIP);
  assert.equal(compressionFromName('Snappy'), CompressionTypes.Snappy);
  assert.equal(compressionFromName(' LZ4 '), CompressionTypes.LZ4);
});

test('compressionFromName rejects unknown names with ERR_CONFIG_VALUE', () => {
  for (const name of ['brotli', '', 'producer', 'toString']) {
    assert.throws(
      () => compressionFromName(name),
      (err: unknown) => isCodedError(err) && err.code === 'ERR_CONFIG_VALUE' && (err as { option?: string }).option === 'compression.type',
      name,
    );
  }
});

test('zstd is mapped where Node has zlib zstd and refused with a reason where it has not', () => {
  if (registerCodecs().has('zstd')) {
    assert.equal(compressionFromName('zstd'), CompressionTypes.ZSTD);
  } else {
    assert.throws(() => compressionFromName('zstd'), (err: unknown) => isCodedError(err) && err.code === 'ERR_CONFIG_VALUE' && /Node >= 22\.15/.test(err.message));
  }
});
