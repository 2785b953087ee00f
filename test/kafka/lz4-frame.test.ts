import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { decodeLz4Frame, encodeLz4Frame, Lz4FrameError } from '../../lib/kafka/lz4-frame.js';
import { xxhash32 } from '../../lib/kafka/xxhash32.js';

/** Text with repeats at every distance: blocks full of back-references, some overlapping. */
function textLike(bytes: number): Buffer {
  const words = Array.from({ length: 64 }, () => randomBytes(6).toString('hex'));
  let text = '';
  while (text.length < bytes) text += `${words[Math.floor(Math.random() * words.length)]} `;
  return Buffer.from(text.slice(0, bytes));
}

const SAMPLES: Array<[string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from('a')],
  ['13 equal bytes (shortest input with a match)', Buffer.alloc(13, 7)],
  ['100 KB of zeros (long overlapping matches)', Buffer.alloc(100_000)],
  ['random, 5 bytes', randomBytes(5)],
  ['random across a block boundary', randomBytes(70_000)],
  ['text, exactly one block', textLike(65_536)],
  ['text, many blocks', textLike(300_001)],
  ['mixed random, runs and text', Buffer.concat([randomBytes(100_000), Buffer.alloc(100_000, 1), textLike(100_000)])],
];

test('encodeLz4Frame output is read back by the reference implementation (lz4-napi) and by decodeLz4Frame', async () => {
  for (const [name, input] of SAMPLES) {
    const frame = encodeLz4Frame(input);
    assert.deepEqual([...frame.subarray(0, 7)], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82], `${name}: header`);
    assert.ok(frame.length <= input.length + 11 + 4 * Math.ceil(input.length / 65_536), `${name}: never grows more than the framing`);
    assert.ok((await decompressFrame(frame)).equals(input), `${name}: lz4-napi reads it`);
    assert.ok(decodeLz4Frame(frame).equals(input), `${name}: we read it`);
  }
});

test('decodeLz4Frame reads the reference implementation\'s frames', async () => {
  for (const [name, input] of SAMPLES) {
    assert.ok(decodeLz4Frame(await compressFrame(input)).equals(input), name);
  }
});

test('compressible data shrinks; incompressible blocks are stored', () => {
  assert.ok(encodeLz4Frame(textLike(200_000)).length < 100_000);
  const random = randomBytes(200_000);
  assert.equal(encodeLz4Frame(random).length, 7 + 4 * 4 + 200_000 + 4);
});

test('frames with content size, block checksums, linked blocks and concatenated frames decode', () => {
  const magic = Buffer.from('04224d18', 'hex');
  const header = (descriptor: Buffer): Buffer => Buffer.concat([magic, descriptor, Buffer.of((xxhash32(descriptor) >>> 8) & 0xff)]);
  // FLG 0x78: version 01, independent blocks, block checksums, content size (checksums are skipped).
  const payload = Buffer.from('hello hello hello hello!');
  const block = encodeLz4Frame(payload).subarray(7, -4); // its one block: size word + data
  const sized = Buffer.concat([header(Buffer.concat([Buffer.of(0x78, 0x40), Buffer.from([payload.length, 0, 0, 0, 0, 0, 0, 0])])), block, Buffer.alloc(4), Buffer.alloc(4)]);
  assert.equal(decodeLz4Frame(sized).toString(), payload.toString());
  assert.equal(decodeLz4Frame(Buffer.concat([sized, sized])).toString(), payload.toString().repeat(2));
  // FLG 0x40: linked blocks. Block 1 is stored "abcde"; block 2 is one sequence: literal "x",
  // then a 5-byte match at offset 6, which reaches back into block 1.
  const linked = Buffer.concat([header(Buffer.of(0x40, 0x40)), Buffer.from('05000080', 'hex'), Buffer.from('abcde'), Buffer.from('04000000', 'hex'), Buffer.of(0x11, 0x78, 0x06, 0x00), Buffer.alloc(4)]);
  assert.equal(decodeLz4Frame(linked).toString(), 'abcdexabcde');
  // The same block in an independent-blocks frame may not reach back.
  const independent = Buffer.concat([header(Buffer.of(0x60, 0x40)), linked.subarray(7)]);
  assert.throws(() => decodeLz4Frame(independent), Lz4FrameError);
});

test('hostile frames throw Lz4FrameError instead of reading or writing out of bounds', () => {
  const good = encodeLz4Frame(textLike(10_000));
  const cases: Array<[string, Buffer]> = [
    ['not a frame', Buffer.from('not an lz4 frame at all')],
    ['truncated', good.subarray(0, good.length - 10)],
    ['no end mark', good.subarray(0, good.length - 4)],
    ['bad header checksum', Buffer.concat([good.subarray(0, 6), Buffer.of(good[6]! ^ 1), good.subarray(7)])],
    ['block larger than the frame allows', Buffer.concat([good.subarray(0, 7), Buffer.from('01000100', 'hex'), Buffer.alloc(65_537)])],
    ['match offset before the start', Buffer.concat([good.subarray(0, 7), Buffer.from('04000000', 'hex'), Buffer.from([0x10, 0x61, 0x09, 0x00]), Buffer.alloc(4)])],
    ['trailing garbage', Buffer.concat([good, Buffer.from('xyz')])],
  ];
  for (const [name, frame] of cases) assert.throws(() => decodeLz4Frame(frame), Lz4FrameError, name);
  assert.throws(() => decodeLz4Frame(encodeLz4Frame(Buffer.alloc(100_000)), 50_000), Lz4FrameError, 'output limit');
});
