// The fault matrix's CI subset (`npm run faults -- --quick`, bench/faults/): the scenarios marked
// quick, with scaled-down counts, against the local broker; each must pass its oracle: 0 lost,
// 0 wrong bytes, 0 bytes outside the output directory, 0 uncommitted records, duplicates within
// bound, and its own checks. The table goes to a temp file, not bench/results/.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runMatrix } from '../../bench/faults/run-faults.js';
import { consoleLine } from '../../bench/faults/fault-table.js';
import { passed } from '../../bench/faults/scenario.js';

test('fault matrix, CI subset: every scenario passes its oracle', { timeout: 15 * 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'faults-subset-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'faults.md');
  const { results } = await runMatrix({ quick: true, seed: 6, keep: false, out, log: () => undefined });
  assert.ok(results.length >= 5, `${results.length} scenarios ran`);
  for (const r of results) {
    t.diagnostic(consoleLine(r));
    assert.ok(passed(r), `${consoleLine(r)}\n${r.checks.filter((c) => !c.ok).map((c) => `  failed check: ${c.name}: ${c.detail ?? ''}`).join('\n')}\n${r.notes.join('\n')}`);
    assert.equal(r.lost, 0, `${r.title}: lost`);
    assert.equal(r.wrong, 0, `${r.title}: wrong bytes`);
    assert.equal(r.outsideBytes + r.outsideEntries, 0, `${r.title}: written outside the output directory`);
    assert.equal(r.uncommitted, 0, `${r.title}: uncommitted records`);
  }
  // The transactional reproducer's row (scenario 11): exactly once, so not one duplicate committed result.
  const reproducer = results.find((r) => r.id === 11);
  assert.ok(reproducer, 'scenario 11 (transactional reproducer SIGKILLed) is part of the subset');
  assert.equal(reproducer.duplicates, 0, `${reproducer.title}: duplicate committed results`);
  assert.match(await readFile(out, 'utf8'), /\| # \| scenario \| files \|/);
});
