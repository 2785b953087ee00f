// The bench's neutral consumer clock, its pure part: when a group's committed offsets count as
// "at the end of the topic".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupProgress, steadyStart } from '../../bench/group-clock.js';

const ends = [
  { partition: 0, low: 0, high: 10 },
  { partition: 1, low: 0, high: 0 },
  { partition: 2, low: 0, high: 5 },
];

test('no commits yet: nothing committed, not done', () => {
  assert.deepEqual(groupProgress(ends, []), { committed: 0, total: 15, done: false });
  assert.deepEqual(groupProgress(ends, [{ partition: 0, offset: '-1' }, { partition: 2, offset: '-1' }]), { committed: 0, total: 15, done: false });
});

test('done only when every partition with records is committed to its end; an empty partition needs no commit', () => {
  assert.deepEqual(groupProgress(ends, [{ partition: 0, offset: '10' }, { partition: 2, offset: '4' }]), { committed: 14, total: 15, done: false });
  assert.deepEqual(groupProgress(ends, [{ partition: 0, offset: '10' }, { partition: 1, offset: '-1' }, { partition: 2, offset: '5' }]), { committed: 15, total: 15, done: true });
});

test('steady state starts at the earlier of the join and the first commit (a group of several consumers may be seen Stable only after it began committing)', () => {
  assert.equal(steadyStart(3950, 1440), 1440);
  assert.equal(steadyStart(800, 960), 800);
  assert.equal(steadyStart(undefined, 960), 960);
  assert.equal(steadyStart(800, undefined), 800);
  assert.equal(steadyStart(undefined, undefined), undefined);
});
