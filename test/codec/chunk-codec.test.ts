import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { chunkKey, decodeChunk, encodeChunk, fileKeyPrefix } from '../../lib/codec/chunk-codec.js';
import { EMPTY_SHA512, sha512 } from '../../lib/codec/chunk-hash.js';
import { isCodedError } from '../../lib/errors.js';
import type { DataFileChunk } from '../../lib/types.js';
import { prng } from '../support/seeded-random.js';

function makeChunk(overrides: Partial<DataFileChunk> = {}): DataFileChunk {
  const data = overrides.data ?? Buffer.from('hello, chunk');
  return {
    filename: 'x.dat',
    fileHash: sha512(Buffer.from('whole file')),
    chunkHash: sha512(data),
    chunkOffsetWrite: 0,
    chunkI: 1,
    nTotalChunks: 1,
    subdirStr: 'a/b',
    filenameAppend: '',
    data,
    fileMtime: 1700000000.25,
    ...overrides,
  };
}

/** The 10 wire fields of a chunk, for building hostile variants with a generic encoder. */
function fieldsOf(c: DataFileChunk): unknown[] {
  return [c.filename, c.fileHash, c.chunkHash, c.chunkOffsetWrite, c.chunkI, c.nTotalChunks, c.subdirStr, c.filenameAppend, c.data, c.fileMtime ?? 0];
}

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isCodedError(err), `expected a coded error, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

test('encode then decode gives back every field', () => {
  const chunk = makeChunk();
  const decoded = decodeChunk(encodeChunk(chunk));
  assert.deepEqual(decoded, chunk);
});

test('mtime is always float64, also when integral or unknown', () => {
  for (const [mtime, expected] of [[1700000000, 1700000000], [null, null], [0.5, 0.5]] as const) {
    const bytes = encodeChunk(makeChunk({ fileMtime: mtime }));
    assert.equal(bytes[bytes.length - 9], 0xcb);
    assert.equal(decodeChunk(bytes).fileMtime, expected);
  }
});

test('the array header says 10 fields, 9 with legacy, and both decode', () => {
  const chunk = makeChunk();
  const modern = encodeChunk(chunk);
  const legacy = encodeChunk(chunk, { legacy: true });
  assert.equal(modern[0], 0x9a);
  assert.equal(legacy[0], 0x99);
  assert.equal(modern.length - legacy.length, 9);
  assert.deepEqual(decodeChunk(legacy), { ...chunk, fileMtime: null });
});

test('data uses the smallest bin header and integers the smallest int', () => {
  for (const size of [0, 255, 256, 65535, 65536]) {
    const data = Buffer.alloc(size, 7);
    const chunk = makeChunk({ data, chunkHash: sha512(data), chunkOffsetWrite: 300, chunkI: 2, nTotalChunks: 70000 });
    const bytes = encodeChunk(chunk);
    const generic = Buffer.from(encode(fieldsOf(chunk).slice(0, 9)));
    // The first 9 fields must be exactly what a generic msgpack encoder writes.
    assert.ok(bytes.subarray(1, bytes.length - 9).equals(generic.subarray(1)), `size ${size}`);
    assert.deepEqual(decodeChunk(bytes).data, data);
  }
});

test('an empty chunk has both hashes equal to SHA-512 of nothing', () => {
  const chunk = makeChunk({ data: Buffer.alloc(0), fileHash: EMPTY_SHA512, chunkHash: EMPTY_SHA512 });
  assert.deepEqual(decodeChunk(encodeChunk(chunk)).data.length, 0);
});

test('text fields may arrive as bin and must be strict UTF-8', () => {
  const fields = fieldsOf(makeChunk());
  fields[0] = Buffer.from('données.csv');
  assert.equal(decodeChunk(Buffer.from(encode(fields))).filename, 'données.csv');
  fields[0] = Buffer.from([0x61, 0xff, 0x62]);
  assertCode(() => decodeChunk(Buffer.from(encode(fields))), 'ERR_CHUNK_BAD_UTF8');
  fields[0] = Buffer.from([0xed, 0xa0, 0x80]); // an encoded surrogate: not UTF-8
  assertCode(() => decodeChunk(Buffer.from(encode(fields))), 'ERR_CHUNK_BAD_UTF8');
});

test('key is OpenMSIStream string, with a leading underscore at the top level', () => {
  assert.equal(chunkKey(makeChunk({ chunkI: 1, nTotalChunks: 3 })), 'a_b_x.dat_chunk_1_of_3');
  assert.equal(chunkKey(makeChunk({ subdirStr: '', chunkI: 1, nTotalChunks: 3 })), '_x.dat_chunk_1_of_3');
  assert.equal(fileKeyPrefix('a_b_x_chunk_1.dat_chunk_2_of_3'), 'a_b_x_chunk_1.dat');
});

test('every malformed value is rejected with its code, never a crash', () => {
  const good = encodeChunk(makeChunk());
  const withField = (i: number, value: unknown): Buffer => {
    const fields = fieldsOf(makeChunk());
    fields[i] = value;
    return Buffer.from(encode(fields, { useBigInt64: true }));
  };
  const cases: Array<[string, unknown, string]> = [
    ['tombstone', null, 'ERR_CHUNK_NOT_BUFFER'],
    ['string value', 'text', 'ERR_CHUNK_NOT_BUFFER'],
    ['empty value', Buffer.alloc(0), 'ERR_CHUNK_TRUNCATED'],
    ['truncated', good.subarray(0, good.length - 20), 'ERR_CHUNK_TRUNCATED'],
    ['trailing bytes', Buffer.concat([good, Buffer.of(0x01)]), 'ERR_CHUNK_TRAILING_BYTES'],
    ['trailing partial object', Buffer.concat([good, Buffer.of(0xc5, 0x10)]), 'ERR_CHUNK_TRAILING_BYTES'],
    ['JSON', Buffer.from('{"filename": "x"}'), 'ERR_CHUNK_TRAILING_BYTES'],
    ['a map', Buffer.from(encode({ filename: 'x' })), 'ERR_CHUNK_NOT_ARRAY'],
    ['an int', Buffer.from(encode(5)), 'ERR_CHUNK_NOT_ARRAY'],
    ['reserved byte', Buffer.of(0xc1), 'ERR_CHUNK_MALFORMED'],
    ['8 fields', Buffer.from(encode(fieldsOf(makeChunk()).slice(0, 8))), 'ERR_CHUNK_FIELD_COUNT'],
    ['11 fields', Buffer.from(encode([...fieldsOf(makeChunk()), 1])), 'ERR_CHUNK_FIELD_COUNT'],
    ['filename int', withField(0, 5), 'ERR_CHUNK_FIELD_TYPE'],
    ['hash as int', withField(1, 7), 'ERR_CHUNK_FIELD_TYPE'],
    ['short file hash', withField(1, Buffer.alloc(32)), 'ERR_CHUNK_HASH_LENGTH'],
    ['long chunk hash', withField(2, Buffer.alloc(65)), 'ERR_CHUNK_HASH_LENGTH'],
    ['offset as string', withField(3, '0'), 'ERR_CHUNK_FIELD_TYPE'],
    ['offset float', withField(3, 1.5), 'ERR_CHUNK_FIELD_TYPE'],
    ['negative offset', withField(3, -1), 'ERR_CHUNK_INT_RANGE'],
    ['offset beyond 2^53-1', withField(3, 2n ** 60n), 'ERR_CHUNK_INT_RANGE'],
    ['chunk_i zero', withField(4, 0), 'ERR_CHUNK_INVALID'],
    ['chunk_i beyond total', withField(4, 2), 'ERR_CHUNK_INVALID'],
    ['subdir as array', withField(6, ['a']), 'ERR_CHUNK_FIELD_TYPE'],
    ['data as int', withField(8, 3), 'ERR_CHUNK_FIELD_TYPE'],
    ['data changed', withField(8, Buffer.from('hello, chunK')), 'ERR_CHUNK_HASH_MISMATCH'],
    ['mtime as string', withField(9, 'now'), 'ERR_CHUNK_FIELD_TYPE'],
    ['oversized filename', withField(0, 'x'.repeat(5000)), 'ERR_CHUNK_TOO_LARGE'],
  ];
  for (const [name, value, code] of cases) {
    assert.throws(() => decodeChunk(value), (err: unknown) => {
      assert.ok(isCodedError(err), `${name}: expected a coded error, got ${String(err)}`);
      assert.equal(err.code, code, `${name}: ${err.message}`);
      return true;
    }, `${name}: no error`);
  }
  assertCode(() => decodeChunk(good, { maxChunkBytes: 4 }), 'ERR_CHUNK_TOO_LARGE');
  // msgpack str and bin are both byte strings; the chunk hash still guards the payload.
  assert.equal(decodeChunk(withField(8, 'hello, chunk')).data.toString(), 'hello, chunk');
});

test('every truncation and every single-byte corruption of a value gives a coded error or a valid chunk', () => {
  const good = encodeChunk(makeChunk({ data: Buffer.alloc(300, 1), chunkHash: sha512(Buffer.alloc(300, 1)) }));
  for (let end = 0; end < good.length; end++) {
    assert.throws(() => decodeChunk(good.subarray(0, end)), (err: unknown) => isCodedError(err));
  }
  const random = prng(42);
  for (let round = 0; round < 2000; round++) {
    const bad = Buffer.from(good);
    bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
    try {
      decodeChunk(bad);
    } catch (err) {
      assert.ok(isCodedError(err), `round ${round}: uncoded ${String(err)}`);
    }
  }
});

test('decoding does not copy the payload', () => {
  const value = encodeChunk(makeChunk());
  const decoded = decodeChunk(value);
  assert.equal(decoded.data.buffer, value.buffer);
});
