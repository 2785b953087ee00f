/**
 * One measurement = one program run, timed from spawn to the moment its work was done, with its
 * peak RSS; the result is a `Row` of the results file.
 *
 * - consumers (ours, OpenMSIStream's and the raw kafkajs ceiling alike): done when their group's
 *   committed offsets reach the end of every partition of the topic, seen from this process by
 *   polling the admin API (bench/group-clock.ts); no program is asked to log anything. Steady
 *   state (`steadySeconds`) runs from the first sign of the group at work (the broker reports
 *   it joined, or a first commit, whichever the bench saw first) to the end, so process start-up
 *   and the join are left out. Then they are stopped with `q` + Enter, so no idle wait or
 *   shutdown is ever part of a timing.
 * - uploaders: done when the topic holds every chunk record (high watermarks polled every
 *   100 ms), the same test for both toolkits; directory uploaders are then stopped with `q`.
 * - the hashing ceiling times itself (hash time only) and prints it.
 * A run that fails or times out becomes a row with `ok: false` and the error; the benchmark
 * goes on with the next one. Rebuilt trees are checked against the corpus manifest afterwards
 * (untimed), so every figure is for files that really arrived intact.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Admin } from 'kafkajs';
import type { Corpus, CorpusFile } from './corpora.js';
import { GroupClock, topicEnds } from './group-clock.js';
import { ProbedProcess } from './probed-process.js';
import type { BenchContext, ProgramSpec } from './programs.js';

export type RowKind = 'consume' | 'upload' | 'ceiling';

export type Subject =
  | 'ours-disk'
  | 'ours-memory'
  | 'openmsistream-download'
  | 'kafkajs-raw'
  | 'hash-ceiling'
  | 'ours-upload-directory'
  | 'openmsistream-upload-directory'
  | 'ours-upload-file'
  | 'raw-produce'
  | 'openmsistream-upload-file';

export interface Row {
  corpus: string;
  kind: RowKind;
  subject: Subject;
  label: string;
  topic?: string;
  files: number;
  bytes: number;
  ok: boolean;
  error?: string;
  /** Spawn to done (the median of the rounds, in a summary row). */
  seconds: number | null;
  /** Consumers: the group's join or first commit, whichever came first, to done (steady state). */
  steadySeconds?: number | null;
  /** Which round this run was (per-run rows; summary rows keep them in `runs`). */
  round?: number;
  /** Summary rows: every round's figures, in the order they ran. */
  runs?: RunFigures[];
  /** Summary rows: min-max over the rounds that succeeded. */
  spread?: { seconds?: [number, number]; steadySeconds?: [number, number]; mibPerSec?: [number, number] };
  mibPerSec: number | null;
  filesPerSec: number | null;
  peakRssMiB: number | null;
  /** CPU seconds (user + system, all threads) of the program over the run; null when not sampled. */
  cpuSeconds: number | null;
  /** MiB of payload per CPU second: how much work, independent of how busy the machine was. */
  mibPerCpuSecond: number | null;
  /** Rebuilt tree matched the manifest (sizes and SHA-512); null when nothing is written to check. */
  verified: boolean | null;
  /**
   * An upload stopped at the time cap before it finished: the figures are its rate over that
   * time (records in the topic by then, as a share of the corpus).
   */
  partial?: { records: number; of: number };
  /** VmRSS at ten even points of the run (consumers): flat means memory does not follow file size. */
  rssTimeline?: Array<{ atSeconds: number; rssMiB: number }>;
  /** Memory mode only: the configured --memory_budget. */
  memoryBudgetMiB?: number;
  loadAvg1: { before: number; after: number };
  /** An OpenMSIStream run that failed and was run once more (bench.ts `theirs`): why it failed. */
  retriedAfter?: string;
}

export interface RunFigures {
  round: number;
  ok: boolean;
  seconds: number | null;
  steadySeconds?: number | null;
  mibPerSec: number | null;
  cpuSeconds: number | null;
  peakRssMiB: number | null;
  error?: string;
}

const MiB = 1024 * 1024;

export interface RunTarget {
  corpus: Corpus;
  kind: RowKind;
  subject: Subject;
  /** Files and bytes the figure is about (a corpus, or one file of it). */
  files: CorpusFile[];
  timeoutMs: number;
}

function baseRow(target: RunTarget, spec: ProgramSpec, topic?: string): Row {
  const bytes = target.files.reduce((sum, f) => sum + f.size, 0);
  return {
    corpus: target.corpus.spec.name,
    kind: target.kind,
    subject: target.subject,
    label: spec.label,
    ...(topic && { topic }),
    files: target.files.length,
    bytes,
    ok: false,
    seconds: null,
    mibPerSec: null,
    filesPerSec: null,
    peakRssMiB: null,
    cpuSeconds: null,
    mibPerCpuSecond: null,
    verified: null,
    loadAvg1: { before: round(loadavg()[0]!), after: 0 },
  };
}

function finish(row: Row, seconds: number, peakRssBytes: number): Row {
  row.ok = true;
  row.seconds = round(seconds, 3);
  row.mibPerSec = seconds > 0 ? round(row.bytes / MiB / seconds) : null;
  row.filesPerSec = seconds > 0 ? round(row.files / seconds) : null;
  row.peakRssMiB = peakRssBytes > 0 ? round(peakRssBytes / MiB, 1) : null;
  return row;
}

/** CPU time as of the end of the work (sampled then), not of a shutdown that follows it. */
function cpu(row: Row, seconds: number): void {
  if (seconds <= 0) return;
  // Three significant figures below a second: the quick corpora hash in milliseconds, which two
  // decimals rounded to 0 (the quick bench test saw C/hash-ceiling with cpuSeconds 0).
  row.cpuSeconds = seconds >= 1 ? round(seconds) : Number(seconds.toPrecision(3));
  row.mibPerCpuSecond = round(row.bytes / MiB / seconds);
}

function failed(row: Row, err: unknown, peakRssBytes = 0): Row {
  row.ok = false;
  row.error = (err as Error)?.message ?? String(err);
  if (peakRssBytes > 0) row.peakRssMiB = round(peakRssBytes / MiB, 1);
  return row;
}

function spawnProbed(ctx: BenchContext, spec: ProgramSpec, onLine?: (line: string, at: number) => void): ProbedProcess {
  return new ProbedProcess(spec.label, spec.command, spec.args, { env: ctx.env, ...(spec.cwd && { cwd: spec.cwd }), ...(onLine && { onLine }) });
}

/**
 * Resolves with what `done` resolves with; rejects when the program exits first (after a last
 * poll's worth of grace: a program may commit and exit at once) or the time is up.
 */
async function untilOrExit<T>(p: ProbedProcess, done: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let grace: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      done,
      p.exited.then(async (code) => {
        const late = await Promise.race([done, new Promise<undefined>((resolve) => (grace = setTimeout(() => resolve(undefined), 2000)))]);
        if (late !== undefined) return late;
        throw new Error(`${p.label} exited with ${code} before ${what}; last output:\n${p.tail()}`);
      }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${p.label}: no ${what} within ${Math.round(timeoutMs / 1000)} s; last output:\n${p.tail()}`)), timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
  }
}

/** Stops a program that is still running: `q` + Enter, then SIGKILL if it does not go. */
async function stop(p: ProbedProcess): Promise<void> {
  if (!p.running) return;
  p.quit();
  try {
    await p.waitExit(60_000);
  } catch {
    // killed by waitExit; the measurement already has its figures
  }
}

/**
 * A consumer in group `groupId` (the program was given it): timed until the group's committed
 * offsets reach the topic's end, then stopped; with `verifyDir`, the rebuilt tree is checked
 * afterwards.
 */
export async function measureConsumer(
  ctx: BenchContext,
  target: RunTarget,
  spec: ProgramSpec,
  topic: string,
  admin: Admin,
  groupId: string,
  options: { verifyDir?: string } = {},
): Promise<Row> {
  const row = baseRow(target, spec, topic);
  // The end offsets are read before the spawn, so the clock's set-up is not part of the time.
  const ends = await topicEnds(admin, topic);
  const p = spawnProbed(ctx, spec);
  const clock = new GroupClock(admin, groupId, topic, ends);
  try {
    const doneAt = await untilOrExit(p, clock.done, target.timeoutMs, `the group's commits at the end of ${topic}`);
    p.sample();
    finish(row, (doneAt - p.startedAt) / 1000, p.peakRssBytes);
    cpu(row, p.cpuSeconds);
    row.rssTimeline = p.rssTimeline(doneAt - p.startedAt);
    row.steadySeconds = round((doneAt - clock.steadyFrom!) / 1000, 3);
  } catch (err) {
    failed(row, err, p.peakRssBytes);
  } finally {
    clock.stop();
    await stop(p);
    if (row.ok) row.peakRssMiB = round(p.peakRssBytes / MiB, 1);
    row.loadAvg1.after = round(loadavg()[0]!);
  }
  if (row.ok && options.verifyDir) {
    row.verified = await verifyTree(options.verifyDir, target.files);
    if (!row.verified) failed(row, new Error(`rebuilt tree under ${options.verifyDir} does not match the corpus manifest`));
  }
  return row;
}

/**
 * An uploader: timed until the topic holds `records` more records than before it started.
 * Directory uploaders run until stopped (`q` once done); file uploaders exit by themselves.
 */
export async function measureUploader(ctx: BenchContext, target: RunTarget, spec: ProgramSpec, topic: string, admin: Admin, records: number, capMs = Infinity): Promise<Row> {
  const row = baseRow(target, spec, topic);
  const before = await recordCount(admin, topic);
  const p = spawnProbed(ctx, spec);
  let cancelled = false;
  let doneAt = 0;
  const done = (async () => {
    while (!cancelled) {
      if ((await recordCount(admin, topic)) - before >= records) {
        doneAt = performance.now();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${p.label}: the topic did not get all ${records} records within ${Math.round(target.timeoutMs / 1000)} s; last output:\n${p.tail()}`)), target.timeoutMs);
    });
    // A file uploader exits once its records are acknowledged; the watermark poll may see them
    // a moment later, so an exit with code 0 only ends the wait when the poll also finished.
    const failedExit = p.exited.then(async (code) => {
      if (code === 0) return done;
      throw new Error(`${p.label} exited with ${code}; last output:\n${p.tail()}`);
    });
    let capTimer: NodeJS.Timeout | undefined;
    const cap = new Promise<'cap'>((resolve) => (capTimer = setTimeout(() => resolve('cap'), Math.min(capMs, 2 ** 31 - 1))));
    const outcome = await Promise.race([done, failedExit, timeout, cap]).finally(() => clearTimeout(capTimer));
    p.sample();
    if (outcome === 'cap' && doneAt === 0) {
      const sent = (await recordCount(admin, topic)) - before;
      const seconds = (performance.now() - p.startedAt) / 1000;
      if (sent <= 0) throw new Error(`${p.label}: no record in the topic after ${Math.round(seconds)} s; last output:\n${p.tail()}`);
      finish(row, seconds, p.peakRssBytes);
      cpu(row, p.cpuSeconds);
      const share = sent / records;
      row.partial = { records: sent, of: records };
      row.mibPerSec = round(((row.bytes * share) / MiB) / seconds);
      row.filesPerSec = round((row.files * share) / seconds);
      row.mibPerCpuSecond = row.cpuSeconds ? round((row.bytes * share) / MiB / row.cpuSeconds) : null;
    } else {
      finish(row, (doneAt - p.startedAt) / 1000, p.peakRssBytes);
      cpu(row, p.cpuSeconds);
    }
  } catch (err) {
    failed(row, err, p.peakRssBytes);
  } finally {
    clearTimeout(timer);
    cancelled = true;
    await stop(p);
    if (row.ok) row.peakRssMiB = round(p.peakRssBytes / MiB, 1);
    row.loadAvg1.after = round(loadavg()[0]!);
  }
  return row;
}

/** The hashing ceiling: the child times its hashing and prints it. */
export async function measureHashCeiling(ctx: BenchContext, target: RunTarget, spec: ProgramSpec): Promise<Row> {
  const row = baseRow(target, spec);
  let result: { hashMs: number; bytes: number; mismatches: number } | undefined;
  const p = spawnProbed(ctx, spec, (line) => {
    if (line.startsWith('{"event":"done"')) result = JSON.parse(line) as typeof result;
  });
  try {
    const code = await p.waitExit(target.timeoutMs);
    if (code !== 0 || !result) throw new Error(`${p.label} exited with ${code}; last output:\n${p.tail()}`);
    if (result.mismatches > 0) throw new Error(`${p.label}: ${result.mismatches} files did not match the manifest`);
    finish(row, result.hashMs / 1000, p.peakRssBytes);
    cpu(row, result.hashMs / 1000);
    row.verified = true;
  } catch (err) {
    failed(row, err, p.peakRssBytes);
  }
  row.loadAvg1.after = round(loadavg()[0]!);
  return row;
}

/** Records in the topic; retried, since metadata lags right after a topic is created. */
export async function recordCount(admin: Admin, topic: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** True when every manifest file is under `dir` with its size and SHA-512. */
export async function verifyTree(dir: string, files: CorpusFile[]): Promise<boolean> {
  for (const file of files) {
    const path = join(dir, ...file.relPath.split('/'));
    const info = await stat(path).catch(() => undefined);
    if (!info || info.size !== file.size) return false;
    const hash = createHash('sha512');
    for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) hash.update(piece);
    if (hash.digest('hex') !== file.sha512) return false;
  }
  return true;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
