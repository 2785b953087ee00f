/**
 * s3-part-checksums: the SHA-256 S3 reports for an object (plain for one part, composite
 * "digest-N" for a multipart upload) and the SHA-512 of the bytes, whatever sizes the input
 * pieces have, with part boundaries exactly where lib-storage puts them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PartChecksums } from '../../lib/s3/s3-part-checksums.js';

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

/** The value by definition, from the whole buffer. */
function expected(data: Buffer, partSize: number): string {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length || parts.length === 0; at += partSize) parts.push(data.subarray(at, at + partSize));
  if (parts.length === 1) return sha256(parts[0]!).toString('base64');
  return `${sha256(Buffer.concat(parts.map(sha256))).toString('base64')}-${parts.length}`;
}

/** Feeds `data` in pieces of awkward sizes (1, prime, bigger than a part). */
function feed(data: Buffer, partSize: number, pieces: number[]): PartChecksums {
  const c = new PartChecksums(partSize);
  let at = 0;
  let i = 0;
  while (at < data.length) {
    const n = pieces[i++ % pieces.length]!;
    c.update(data.subarray(at, at + n));
    at += n;
  }
  return c;
}

test('single part: plain base64 SHA-256, no suffix; empty file too', () => {
  const data = randomBytes(1000);
  assert.equal(feed(data, 1024, [7]).result().sha256, sha256(data).toString('base64'));
  const empty = new PartChecksums(16).result();
  assert.equal(empty.sha256, sha256(Buffer.alloc(0)).toString('base64'));
  assert.equal(empty.parts, 1);
  assert.equal(empty.bytes, 0);
});

test('exactly one part of bytes is one part; one byte more makes two', () => {
  assert.equal(feed(randomBytes(64), 64, [64]).result().parts, 1);
  const r = feed(randomBytes(65), 64, [64, 1]).result();
  assert.equal(r.parts, 2);
  assert.match(r.sha256, /-2$/);
});

test('multipart composite matches the definition for awkward piece sizes', () => {
  const partSize = 97;
  for (const size of [97 * 3, 97 * 3 + 1, 500, 1, 96]) {
    const data = randomBytes(size);
    for (const pieces of [[1], [13], [200], [97], [96, 98, 1]]) {
      const r = feed(data, partSize, pieces).result();
      assert.equal(r.sha256, expected(data, partSize), `size ${size}, pieces ${pieces}`);
      assert.equal(r.bytes, size);
      assert.ok(r.sha512.equals(createHash('sha512').update(data).digest()));
    }
  }
});

test('hashing() passes bytes through unchanged and counts them', async () => {
  const data = randomBytes(10_000);
  async function* source(): AsyncGenerator<Buffer> {
    for (let at = 0; at < data.length; at += 333) yield data.subarray(at, at + 333);
  }
  const c = new PartChecksums(4096);
  const out: Buffer[] = [];
  for await (const piece of c.hashing(source())) out.push(piece);
  assert.ok(Buffer.concat(out).equals(data));
  assert.equal(c.result().sha256, expected(data, 4096));
  assert.throws(() => c.update(Buffer.from('late')), /after result/);
});

test('partSize must be a positive integer', () => {
  assert.throws(() => new PartChecksums(0), RangeError);
  assert.throws(() => new PartChecksums(1.5), RangeError);
});
