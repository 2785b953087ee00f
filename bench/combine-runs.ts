/**
 * Folds the rounds of one measurement (the same corpus and program, run once per round, the
 * sides alternating) into the row the report shows: the median, and the spread as min-max.
 *
 * In: per-run Rows in the order they ran. Out: one Row per (corpus, subject), in order of first
 * appearance, whose figures are medians of the runs that succeeded; `runs` keeps every run's
 * figures and `spread` the min-max. Peak RSS is the highest of the runs (a memory bound is only
 * as good as its worst run); the rebuilt tree is verified only if every run's was.
 * A row is ok only when every run was: one failed round is a failure to report, not to average
 * away (its error is the row's). Pure: no I/O.
 */
import { round, type Row, type RunFigures } from './measure.js';

const MiB = 1024 * 1024;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function range(values: number[]): [number, number] | undefined {
  return values.length === 0 ? undefined : [Math.min(...values), Math.max(...values)];
}

function numbers(runs: Row[], pick: (r: Row) => number | null | undefined): number[] {
  return runs.map(pick).filter((v): v is number => typeof v === 'number');
}

function figuresOf(r: Row, index: number): RunFigures {
  return {
    round: r.round ?? index + 1,
    ok: r.ok,
    seconds: r.seconds,
    ...(r.steadySeconds !== undefined && { steadySeconds: r.steadySeconds }),
    mibPerSec: r.mibPerSec,
    cpuSeconds: r.cpuSeconds,
    peakRssMiB: r.peakRssMiB,
    ...(r.error !== undefined && { error: r.error }),
  };
}

/** One summary row from the runs of one measurement. */
export function combineRuns(runs: Row[]): Row {
  if (runs.length === 0) throw new Error('combineRuns: no runs');
  const good = runs.filter((r) => r.ok);
  const last = runs[runs.length - 1]!;
  const failedRun = runs.find((r) => !r.ok);
  const row: Row = { ...last, runs: runs.map(figuresOf) };
  delete row.round;
  row.ok = failedRun === undefined;
  if (failedRun) row.error = runs.length > 1 ? `round ${failedRun.round ?? runs.indexOf(failedRun) + 1}: ${failedRun.error}` : failedRun.error;
  else delete row.error;
  const seconds = numbers(good, (r) => r.seconds);
  row.seconds = seconds.length > 0 ? round(median(seconds), 3) : null;
  const steady = numbers(good, (r) => r.steadySeconds);
  if (runs.some((r) => r.steadySeconds !== undefined)) row.steadySeconds = steady.length > 0 ? round(median(steady), 3) : null;
  else delete row.steadySeconds;
  // Throughput from the median time (not the median of rates): the row's figures agree.
  const share = last.partial ? last.partial.records / last.partial.of : 1;
  row.mibPerSec = row.seconds ? round((row.bytes * share) / MiB / row.seconds) : null;
  row.filesPerSec = row.seconds ? round((row.files * share) / row.seconds) : null;
  const cpu = numbers(good, (r) => r.cpuSeconds);
  row.cpuSeconds = cpu.length > 0 ? median(cpu) : null;
  row.mibPerCpuSecond = row.cpuSeconds ? round((row.bytes * share) / MiB / row.cpuSeconds) : null;
  const rss = numbers(good, (r) => r.peakRssMiB);
  row.peakRssMiB = rss.length > 0 ? Math.max(...rss) : last.peakRssMiB;
  const verified = runs.map((r) => r.verified);
  row.verified = verified.every((v) => v === null) ? null : verified.every((v) => v === true);
  row.spread = {
    ...(range(seconds) && { seconds: range(seconds)! }),
    ...(range(steady) && { steadySeconds: range(steady)! }),
    ...(range(numbers(good, (r) => r.mibPerSec)) && { mibPerSec: range(numbers(good, (r) => r.mibPerSec))! }),
  };
  row.loadAvg1 = { before: runs[0]!.loadAvg1.before, after: last.loadAvg1.after };
  const retried = runs.find((r) => r.retriedAfter);
  if (retried) row.retriedAfter = retried.retriedAfter;
  return row;
}

/** Every measurement's runs folded into one row each, in order of first appearance. */
export function combineAll(runs: Row[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of runs) {
    const key = `${r.corpus}\u0000${r.subject}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map(combineRuns);
}
