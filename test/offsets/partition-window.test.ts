import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionWindow } from '../../lib/offsets/partition-window.js';

test('grows while wrapped around and keeps order, lookups and flags', () => {
  const w = new PartitionWindow(0);
  // Move the head to the middle of the initial ring, then overfill it so it grows wrapped.
  for (let o = 0; o < 10; o++) w.push(o);
  for (let o = 0; o < 8; o++) assert.equal(w.settleAt(0), true);
  assert.equal(w.watermark, 8);
  for (let o = 10; o < 100; o += 3) w.push(o);
  // Settle one in the middle before and check it survives further growth.
  const i55 = w.indexOf(55);
  assert.ok(i55 > 0);
  assert.equal(w.settleAt(i55), true);
  assert.equal(w.settleAt(i55), false);
  for (let o = 100; o < 300; o++) w.push(o);
  assert.equal(w.indexOf(56), -1, 'a gap');
  assert.equal(w.indexOf(55), i55);
  assert.equal(w.lowerBound(56), i55 + 1);
  assert.equal(w.lowerBound(1000), w.lowerBound(300));
  assert.equal(w.unsettled, 2 + 30 - 1 + 200);
});

test('clear bumps the epoch and moves the floor', () => {
  const w = new PartitionWindow(5);
  assert.equal(w.watermark, 5);
  assert.equal(w.lastObserved, 4);
  w.push(5);
  w.clear(42);
  assert.equal(w.epoch, 1);
  assert.equal(w.watermark, 42);
  assert.equal(w.unsettled, 0);
  assert.equal(w.indexOf(5), -1);
});
