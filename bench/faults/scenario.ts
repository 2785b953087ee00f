/**
 * What a fault scenario is and what it reports. A scenario sets up its own topic(s), group(s)
 * and sandbox, injects its faults, lets the program catch up, and hands back one row of the
 * fault table. It passes when the oracle is clean (0 lost, 0 wrong, 0 bytes outside, 0
 * uncommitted, duplicates within their bound) and every scenario-specific check holds.
 */
import type { Measured } from './oracle.js';

export interface ScenarioContext {
  seed: number;
  /** Scaled-down counts for CI. */
  quick: boolean;
  /** Keep sandboxes for post-mortems. */
  keep: boolean;
  log: (message: string) => void;
}

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ScenarioResult {
  id: number;
  title: string;
  files: number;
  faults: number;
  faultsDetail: string;
  lost: number;
  wrong: number;
  duplicates: number;
  /** Duplicates allowed (e.g. kills x in-flight window); undefined: any number is allowed. */
  duplicateBound?: number;
  outsideBytes: number;
  outsideEntries: number;
  uncommitted: number;
  checks: Check[];
  notes: string[];
  seconds: number;
  /** Set when the scenario could not run here (e.g. no root for tmpfs). */
  skipped?: string;
  /** Set when the scenario threw. */
  error?: string;
}

export interface Scenario {
  id: number;
  title: string;
  /** Part of `--quick` (the CI subset). */
  quick: boolean;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

export function passed(r: ScenarioResult): boolean {
  if (r.skipped) return true;
  if (r.error) return false;
  const dupOk = r.duplicateBound === undefined || r.duplicates <= r.duplicateBound;
  return r.lost === 0 && r.wrong === 0 && r.outsideBytes === 0 && r.outsideEntries === 0 && r.uncommitted === 0 && dupOk && r.checks.every((c) => c.ok);
}

/** A result from the oracle's measurements plus the scenario's own figures. */
export function resultOf(
  base: { id: number; title: string; started: number },
  m: Measured,
  rest: Omit<ScenarioResult, 'id' | 'title' | 'lost' | 'wrong' | 'duplicates' | 'seconds'>,
): ScenarioResult {
  const notes = [...rest.notes];
  if (m.lostPaths.length > 0) notes.push(`lost: ${m.lostPaths.slice(0, 5).join(', ')}${m.lostPaths.length > 5 ? ', ...' : ''}`);
  if (m.wrongDetails.length > 0) notes.push(`wrong: ${m.wrongDetails.slice(0, 5).join('; ')}${m.wrongDetails.length > 5 ? '; ...' : ''}`);
  return { id: base.id, title: base.title, lost: m.lost, wrong: m.wrong, duplicates: m.duplicates, seconds: Math.round((Date.now() - base.started) / 100) / 10, ...rest, notes };
}
