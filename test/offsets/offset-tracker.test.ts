import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OffsetTracker } from '../../lib/offsets/offset-tracker.js';

const T = 'topic';

function observeAll(tracker: OffsetTracker, partition: number, offsets: number[]): void {
  for (const o of offsets) tracker.observe(T, partition, String(o));
}

test('nothing is offered before progress, then one past the settled prefix', () => {
  const tracker = new OffsetTracker();
  observeAll(tracker, 0, [10, 11, 12]);
  assert.deepEqual(tracker.commitOffsets(), []);
  assert.equal(tracker.settle(T, 0, '10'), true);
  assert.deepEqual(tracker.commitOffsets(), [{ topic: T, partition: 0, offset: '11' }]);
  // Not offered again until the watermark moves.
  assert.deepEqual(tracker.commitOffsets(), []);
  tracker.settle(T, 0, '11');
  tracker.settle(T, 0, '12');
  assert.deepEqual(tracker.commitOffsets(), [{ topic: T, partition: 0, offset: '13' }]);
  assert.equal(tracker.pending(T, 0), 0);
});

test('gaps between observed offsets do not hold the watermark back', () => {
  const tracker = new OffsetTracker();
  observeAll(tracker, 0, [5, 7, 10, 20]);
  tracker.settle(T, 0, '5');
  tracker.settle(T, 0, '7');
  // Every observed offset <= 9 is settled: the next to read is the unsettled 10.
  assert.equal(tracker.watermark(T, 0), '10');
  tracker.settle(T, 0, '20');
  assert.equal(tracker.watermark(T, 0), '10');
  tracker.settle(T, 0, '10');
  assert.equal(tracker.watermark(T, 0), '21');
  assert.deepEqual(tracker.commitOffsets(), [{ topic: T, partition: 0, offset: '21' }]);
});

test('out-of-order settles: the watermark jumps once the lowest settles', () => {
  const tracker = new OffsetTracker();
  observeAll(tracker, 3, [0, 1, 2, 3, 4, 5]);
  for (const o of [5, 3, 1, 4]) tracker.settle(T, 3, String(o));
  assert.equal(tracker.watermark(T, 3), '0');
  assert.equal(tracker.pending(T, 3), 2);
  tracker.settle(T, 3, '0');
  assert.equal(tracker.watermark(T, 3), '2');
  tracker.settle(T, 3, '2');
  assert.equal(tracker.watermark(T, 3), '6');
  assert.equal(tracker.pending(T, 3), 0);
});

test('settling twice, unknown offsets and unknown partitions are ignored', () => {
  const tracker = new OffsetTracker();
  observeAll(tracker, 0, [1, 3]);
  assert.equal(tracker.settle(T, 0, '1'), true);
  assert.equal(tracker.settle(T, 0, '1'), false);
  assert.equal(tracker.settle(T, 0, '2'), false, 'never observed (gap)');
  assert.equal(tracker.settle(T, 0, '99'), false, 'beyond the last observed');
  assert.equal(tracker.settle(T, 9, '1'), false, 'unknown partition');
  assert.equal(tracker.settle('other', 0, '1'), false, 'unknown topic');
  assert.equal(tracker.watermark(T, 0), '3');
  assert.equal(tracker.pending(T, 0), 1);
});

test('partitions and topics are independent', () => {
  const tracker = new OffsetTracker();
  observeAll(tracker, 0, [0, 1]);
  observeAll(tracker, 1, [100, 101]);
  tracker.observe('b', 0, '7');
  tracker.settle(T, 1, '100');
  tracker.settle(T, 1, '101');
  tracker.settle('b', 0, '7');
  const offered = tracker.commitOffsets().sort((x, y) => (x.topic + x.partition).localeCompare(y.topic + y.partition));
  assert.deepEqual(offered, [
    { topic: 'b', partition: 0, offset: '8' },
    { topic: T, partition: 1, offset: '102' },
  ]);
  assert.equal(tracker.pending(T, 0), 2);
  assert.equal(tracker.pendingTotal(), 2);
});

test('observing backwards without a reset is a coded error', () => {
  const tracker = new OffsetTracker();
  observeAll(tracker, 0, [5, 6]);
  assert.throws(() => tracker.observe(T, 0, '6'), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => tracker.observe(T, 0, '3'), { code: 'ERR_INVALID_ARGUMENT' });
});

test('offsets and partitions are validated', () => {
  const tracker = new OffsetTracker();
  for (const bad of ['-1', '1.5', '', 'abc', '01', '9007199254740993']) {
    assert.throws(() => tracker.observe(T, 0, bad), { code: 'ERR_INVALID_ARGUMENT' }, bad);
  }
  assert.throws(() => tracker.observe(T, -1, '0'), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => tracker.observe('', 0, '0'), { code: 'ERR_INVALID_ARGUMENT' });
  tracker.observe(T, 0, '9007199254740990');
  tracker.settle(T, 0, '9007199254740990');
  assert.equal(tracker.watermark(T, 0), '9007199254740991');
});

test('reset forgets in-flight offsets, bumps the epoch and rejects stale settles', () => {
  const tracker = new OffsetTracker();
  const before = tracker.observe(T, 0, '10');
  tracker.observe(T, 0, '11');
  tracker.settle(T, 0, '11');
  tracker.reset(T, 0, '10');
  assert.equal(tracker.pending(T, 0), 0);
  assert.equal(tracker.watermark(T, 0), '10');
  assert.deepEqual(tracker.commitOffsets(), [], 'the reset point counts as committed');
  // The same record is read again after the seek.
  const after = tracker.observe(T, 0, '10');
  assert.notEqual(before, after);
  assert.equal(tracker.settle(T, 0, '10', before), false, 'a settle from the first read is stale');
  assert.equal(tracker.pending(T, 0), 1);
  assert.equal(tracker.settle(T, 0, '10', after), true);
  assert.deepEqual(tracker.commitOffsets(), [{ topic: T, partition: 0, offset: '11' }]);
});

test('reset to a later offset: earlier offsets can no longer be observed', () => {
  const tracker = new OffsetTracker();
  tracker.reset(T, 2, '50');
  assert.throws(() => tracker.observe(T, 2, '49'), { code: 'ERR_INVALID_ARGUMENT' });
  tracker.observe(T, 2, '50');
  tracker.settle(T, 2, '50');
  assert.deepEqual(tracker.commitOffsets(), [{ topic: T, partition: 2, offset: '51' }]);
});

test('forget drops a revoked partition', () => {
  const tracker = new OffsetTracker();
  observeAll(tracker, 0, [1, 2]);
  tracker.forget(T, 0);
  assert.equal(tracker.settle(T, 0, '1'), false);
  assert.equal(tracker.watermark(T, 0), undefined);
  assert.deepEqual(tracker.commitOffsets(), []);
});

test('markCommitted and markCommitFailed', () => {
  const tracker = new OffsetTracker();
  observeAll(tracker, 0, [0, 1, 2]);
  tracker.settle(T, 0, '0');
  assert.deepEqual(tracker.commitOffsets(), [{ topic: T, partition: 0, offset: '1' }]);
  tracker.markCommitFailed(T, 0);
  assert.deepEqual(tracker.commitOffsets(), [{ topic: T, partition: 0, offset: '1' }], 'offered again after a failure');
  tracker.markCommitted(T, 0, '1');
  assert.equal(tracker.committed(T, 0), '1');
  tracker.markCommitFailed(T, 0);
  assert.deepEqual(tracker.commitOffsets(), [], 'a confirmed offset is not offered again');
  tracker.settle(T, 0, '1');
  assert.deepEqual(tracker.commitOffsets(), [{ topic: T, partition: 0, offset: '2' }]);
});

test('observeRange and settleRange, overlapping ranges are idempotent', () => {
  const tracker = new OffsetTracker();
  tracker.observeRange(T, 0, '0', '9');
  tracker.observeRange(T, 0, '5', '14');
  assert.equal(tracker.pending(T, 0), 15);
  assert.equal(tracker.settleRange(T, 0, '3', '6'), 4);
  assert.equal(tracker.settleRange(T, 0, '3', '6'), 0);
  assert.equal(tracker.watermark(T, 0), '0');
  assert.equal(tracker.settleRange(T, 0, '0', '2'), 3);
  assert.equal(tracker.watermark(T, 0), '7');
  assert.equal(tracker.settleRange(T, 0, '0', '1000'), 8);
  assert.equal(tracker.watermark(T, 0), '15');
  assert.throws(() => tracker.observeRange(T, 0, '20', '19'), { code: 'ERR_INVALID_ARGUMENT' });
});

test('settleRange skips gaps and stays within the range', () => {
  const tracker = new OffsetTracker();
  observeAll(tracker, 0, [2, 4, 8, 16, 32]);
  assert.equal(tracker.settleRange(T, 0, '3', '16'), 3);
  assert.equal(tracker.watermark(T, 0), '2');
  assert.equal(tracker.pending(T, 0), 2);
  tracker.settle(T, 0, '2');
  assert.equal(tracker.watermark(T, 0), '32');
});

test('a million offsets, settled in interleaved order, with gaps and ring growth', () => {
  const tracker = new OffsetTracker();
  const n = 1_000_000;
  // Every 7th offset is missing (compacted away); settle evens first, then odds, backwards.
  const offsets: number[] = [];
  for (let o = 0; o < n; o++) if (o % 7 !== 3) offsets.push(o);
  for (const o of offsets) tracker.observe(T, 0, String(o));
  assert.equal(tracker.pending(T, 0), offsets.length);
  for (const o of offsets) if (o % 2 === 0) tracker.settle(T, 0, String(o));
  assert.equal(tracker.watermark(T, 0), '1');
  for (let i = offsets.length - 1; i >= 0; i--) {
    const o = offsets[i] as number;
    if (o % 2 === 1) tracker.settle(T, 0, String(o));
  }
  assert.equal(tracker.pending(T, 0), 0);
  assert.equal(tracker.watermark(T, 0), String(n));
  // And steady streaming: observe and settle in a sliding window.
  for (let o = n; o < 2 * n; o++) {
    tracker.observe(T, 0, String(o));
    if (o - 100 >= n) tracker.settle(T, 0, String(o - 100));
  }
  assert.equal(tracker.pending(T, 0), 100);
  assert.equal(tracker.watermark(T, 0), String(2 * n - 100));
});
