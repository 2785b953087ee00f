import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { corpusSpecs, csvRows } from '../../bench/corpora.js';
import { encodeLz4Frame } from '../../lib/kafka/lz4-frame.js';

const random = createHash('sha512').update('seed').digest(); // 64 deterministic bytes, reused in turn

test('CSV readings: exactly n bytes of rows, numbered on from the last call, and compressible as such data is', () => {
  const first = csvRows(Buffer.concat(Array.from({ length: 1024 }, () => random)), 0, 1 << 20);
  assert.equal(first.bytes.length, 1 << 20);
  assert.match(first.bytes.subarray(0, 200).toString('latin1'), /^0\.000,[a-z]+,\d+\.\d{4},\d+\.\d{2},\d+\.\d{2},0\.\d{4},(OK|WARN|DRIFT)\n0\.001,/);
  const next = csvRows(random, first.rows, 100);
  assert.match(next.bytes.toString('latin1'), new RegExp(`^${(first.rows * 0.001).toFixed(3).replace('.', '\\.')},`));
  assert.deepEqual(csvRows(random, 0, 5000).bytes, csvRows(random, 0, 5000).bytes, 'the same input gives the same bytes');
  assert.ok(first.bytes.length / encodeLz4Frame(first.bytes).length > 1.5, 'LZ4 compresses it');
});

test('corpus T is the compressible one, in the full and the quick sets', () => {
  for (const quick of [false, true]) assert.equal(corpusSpecs(quick).find((s) => s.name === 'T')?.content, 'csv');
});
