/**
 * The fault matrix's SIGKILL scenario against a reproducer: a run is killed (SIGKILL, at the crash
 * points of lib/faults/crash-point.ts: after a result was computed/acknowledged, in processing,
 * after the registry flush, right after a commit) and restarted, four times, then run to the end.
 * A reader with read_committed (kafkajs readUncommitted: false) then finds, in exactly-once mode,
 * every file's result exactly once: 0 lost, 0 duplicates. The same kills in at-least-once mode
 * lose nothing either, but produce duplicates (the kill right after a result was acknowledged
 * and before its offsets were committed makes the restart produce it again).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killAndRestart, N } from './reproducer-crash-support.js';

test('exactly once: SIGKILLed and restarted four times, a read_committed reader sees every result once', { timeout: 600_000 }, async (t) => {
  const r = await killAndRestart(t, false);
  t.diagnostic(`exactly once: ${r.kills} kills, ${r.lost} lost, ${r.duplicates} duplicates of ${N} results`);
  assert.deepEqual({ lost: r.lost, duplicates: r.duplicates }, { lost: 0, duplicates: 0 });
});

test('at least once: the same kills lose nothing but produce duplicates', { timeout: 600_000 }, async (t) => {
  const r = await killAndRestart(t, true);
  t.diagnostic(`at least once: ${r.kills} kills, ${r.lost} lost, ${r.duplicates} duplicates of ${N} results`);
  assert.equal(r.lost, 0);
  assert.ok(r.duplicates > 0, 'a kill between a result acknowledged and its commit produces it again');
});
