// The rounds of one measurement become one row: the median time, the spread (min-max), the
// highest peak RSS, and a failure in any round is the row's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Row } from '../../bench/measure.js';
import { combineAll, combineRuns, median } from '../../bench/combine-runs.js';

const MiB = 1024 * 1024;

function run(round: number, seconds: number | null, extra: Partial<Row> = {}): Row {
  return {
    corpus: 'A', kind: 'consume', subject: 'ours-disk', label: 'ours download-directory (disk)', files: 2, bytes: 100 * MiB,
    ok: seconds !== null, seconds, mibPerSec: seconds === null ? null : 100 / seconds, filesPerSec: null, peakRssMiB: 100 + round,
    cpuSeconds: round, mibPerCpuSecond: null, verified: seconds === null ? null : true, loadAvg1: { before: round, after: round + 0.5 }, round, ...extra,
  };
}

test('median of an odd and an even number of values', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('rounds fold into the median time, the min-max spread, the highest peak RSS and every run kept', () => {
  const row = combineRuns([run(1, 10, { steadySeconds: 8 }), run(2, 12, { steadySeconds: 9 }), run(3, 20, { steadySeconds: 15 })]);
  assert.equal(row.ok, true);
  assert.equal(row.seconds, 12);
  assert.equal(row.steadySeconds, 9);
  assert.deepEqual(row.spread, { seconds: [10, 20], steadySeconds: [8, 15], mibPerSec: [5, 10] });
  assert.equal(row.mibPerSec, 8.33, 'MiB/s follows the median time');
  assert.equal(row.cpuSeconds, 2);
  assert.equal(row.peakRssMiB, 103);
  assert.equal(row.verified, true);
  assert.deepEqual(row.loadAvg1, { before: 1, after: 3.5 });
  assert.deepEqual(row.runs?.map((r) => [r.round, r.seconds]), [[1, 10], [2, 12], [3, 20]]);
  assert.equal(row.round, undefined);
});

test('a failed round makes the row failed, naming the round, while the good rounds keep their figures', () => {
  const row = combineRuns([run(1, 10), run(2, null, { error: 'exited with 1' })]);
  assert.equal(row.ok, false);
  assert.equal(row.error, 'round 2: exited with 1');
  assert.equal(row.seconds, 10);
});

test('rows without a steady-state time (uploaders, ceilings) get none', () => {
  const row = combineRuns([run(1, 10, { kind: 'upload' }), run(2, 12, { kind: 'upload' })]);
  assert.equal('steadySeconds' in row, false);
});

test('runs are grouped by corpus and subject, in order of first appearance', () => {
  const rows = combineAll([
    run(1, 10),
    run(1, 5, { subject: 'openmsistream-download' }),
    run(2, 12),
    run(2, 7, { subject: 'openmsistream-download' }),
    run(1, 1, { corpus: 'C' }),
  ]);
  assert.deepEqual(rows.map((r) => `${r.corpus}/${r.subject}/${r.seconds}`), ['A/ours-disk/11', 'A/openmsistream-download/6', 'C/ours-disk/1']);
});
