/** RecordPool: which buffers come back, and which are never kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_POOLED_BYTES, RecordPool } from '../../lib/producer/record-pool.js';

test('a buffer given back is taken again, as a view of the requested size', () => {
  const pool = new RecordPool();
  const first = pool.take(MIN_POOLED_BYTES + 100);
  pool.give(first);
  assert.equal(pool.idle, 1);
  const again = pool.take(MIN_POOLED_BYTES + 10);
  assert.equal(again.buffer, first.buffer, 'the same memory');
  assert.equal(again.length, MIN_POOLED_BYTES + 10);
  assert.equal(pool.idle, 0);
  // Given back as the shorter view, it still holds its whole capacity.
  pool.give(again);
  assert.equal(pool.take(MIN_POOLED_BYTES + 100).buffer, first.buffer);
});

test('an idle buffer too small for the request is dropped; a new one is made', () => {
  const pool = new RecordPool();
  const small = pool.take(MIN_POOLED_BYTES);
  pool.give(small);
  const big = pool.take(MIN_POOLED_BYTES * 2);
  assert.notEqual(big.buffer, small.buffer);
  assert.equal(big.length, MIN_POOLED_BYTES * 2);
  assert.equal(pool.idle, 0);
});

test('small buffers, slices of shared memory and buffers past the limit are not kept', () => {
  const pool = new RecordPool(2);
  pool.give(Buffer.allocUnsafe(1024)); // from Node's shared slab
  pool.give(Buffer.alloc(MIN_POOLED_BYTES * 2).subarray(16)); // not the start of its memory
  pool.give(Buffer.alloc(MIN_POOLED_BYTES - 1));
  assert.equal(pool.idle, 0);
  for (let i = 0; i < 3; i++) pool.give(Buffer.alloc(MIN_POOLED_BYTES));
  assert.equal(pool.idle, 2);
});
