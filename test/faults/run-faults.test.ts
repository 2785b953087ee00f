// The fault matrix's results file: a partial run (--only) is written beside the day's table under
// its own name and says which scenarios it ran, so running one scenario never replaces the full
// table of that day.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markdown } from '../../bench/faults/fault-table.js';
import { resultsFileName } from '../../bench/faults/run-faults.js';
import type { ScenarioResult } from '../../bench/faults/scenario.js';

const row: ScenarioResult = {
  id: 11, title: 'transactional reproducer SIGKILLed at random moments', files: 3, faults: 1, faultsDetail: '1 SIGKILL', lost: 0, wrong: 0,
  duplicates: 0, duplicateBound: 0, outsideBytes: 0, outsideEntries: 0, uncommitted: 0, checks: [], notes: [], seconds: 1,
};
const meta = { date: '2026-12-03', seed: 6, quick: false, node: 'v20', commit: 'abc1234', totalSeconds: 1 };

test('a full run writes the day table; a run of some scenarios gets its own file', () => {
  assert.equal(resultsFileName('2026-12-03'), 'faults-2026-12-03.md');
  assert.equal(resultsFileName('2026-12-03', []), 'faults-2026-12-03.md');
  assert.equal(resultsFileName('2026-12-03', [11]), 'faults-2026-12-03-only-11.md');
  assert.equal(resultsFileName('2026-12-03', [1, 3]), 'faults-2026-12-03-only-1-3.md');
});

test('the table names the command that made it, --only included', () => {
  assert.match(markdown([row], meta), /^`npm run faults` \(seed 6,/m);
  assert.match(markdown([row], { ...meta, only: [11] }), /^`npm run faults -- --only 11` \(seed 6,/m);
  assert.match(markdown([row], { ...meta, quick: true, only: [1, 11] }), /^`npm run faults -- --quick --only 1,11` \(seed 6,/m);
});
