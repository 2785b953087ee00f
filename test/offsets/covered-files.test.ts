/** coveredFiles: a file goes into a commit whole or not at all, and no offset covers part of a file left out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coveredFiles } from '../../lib/offsets/covered-files.js';

const at = (partition: number, ...offsets: number[]) => offsets.map((o) => ({ topic: 't', partition, offset: String(o) }));
const offer = (partition: number, offset: number) => ({ topic: 't', partition, offset: String(offset) });
const none = () => undefined;

test('files wholly below the offers are included and the offers stand', () => {
  const a = { name: 'a', positions: [...at(0, 0, 1), ...at(1, 0)] };
  const b = { name: 'b', positions: at(0, 2, 3) };
  const r = coveredFiles([offer(0, 4), offer(1, 1)], [a, b], none);
  assert.deepEqual(r.files.map((f) => f.name), ['a', 'b']);
  assert.deepEqual(r.offsets, [offer(0, 4), offer(1, 1)]);
});

test('a file covered in one partition but not another holds the first back to its lowest record', () => {
  const a = { name: 'a', positions: [...at(0, 2, 3), ...at(1, 5)] };
  const b = { name: 'b', positions: at(0, 0, 1) };
  const r = coveredFiles([offer(0, 4), offer(1, 5)], [a, b], none);
  assert.deepEqual(r.files.map((f) => f.name), ['b']);
  assert.deepEqual(r.offsets, [offer(0, 2), offer(1, 5)]);
});

test('holding back cascades: a file uncovered by a lowered offer holds back its other partitions too', () => {
  const a = { name: 'a', positions: [...at(0, 5), ...at(2, 9)] }; // p2 not offered: a is out, p0 -> 5
  const b = { name: 'b', positions: [...at(0, 6), ...at(1, 3)] }; // p0 6 no longer covered: b out, p1 -> 3
  const c = { name: 'c', positions: at(1, 1) };
  const d = { name: 'd', positions: at(1, 4) }; // above the lowered p1: out
  const r = coveredFiles([offer(0, 8), offer(1, 6)], [a, b, c, d], none);
  assert.deepEqual(r.files.map((f) => f.name), ['c']);
  assert.deepEqual(r.offsets, [offer(0, 5), offer(1, 3)]);
});

test('an offer lowered to what is already committed is dropped', () => {
  const a = { name: 'a', positions: [...at(0, 3), ...at(1, 7)] };
  const r = coveredFiles([offer(0, 5)], [a], (_t, p) => (p === 0 ? '3' : undefined));
  assert.deepEqual(r.files, []);
  assert.deepEqual(r.offsets, []);
});
