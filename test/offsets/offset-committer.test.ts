import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import type { FileRef, Settlement } from '../../lib/pipeline-events.js';
import { OffsetCommitter, type CommitterRegistry, type OffsetCommitterOptions } from '../../lib/offsets/offset-committer.js';
import { OffsetTracker, type CommitOffset } from '../../lib/offsets/offset-tracker.js';
import type { RecordPosition } from '../../lib/types.js';
import { recordEvents, silent, tick } from '../support/stage-fixtures.js';

const TOPIC = 'files';

/** Records every call, in order, into a shared trace; `flush` can be held open by the test. */
class FakeRegistry implements CommitterRegistry {
  flushGate: Promise<void> | undefined;
  failFlush = 0;
  constructor(readonly trace: string[]) {}
  markProcessed(file: { relativeFilepath: string; fileHash: Buffer }): void {
    this.trace.push(`processed:${file.relativeFilepath}`);
  }
  markFailed(file: { relativeFilepath: string }, reason?: string | Error): void {
    this.trace.push(`failed:${file.relativeFilepath}:${reason instanceof Error ? reason.message : reason}`);
  }
  markMismatchedHash(file: { relativeFilepath: string }): void {
    this.trace.push(`mismatched:${file.relativeFilepath}`);
  }
  clearInProgress(relativeFilepath: string): boolean {
    this.trace.push(`clear:${relativeFilepath}`);
    return true;
  }
  async flush(): Promise<void> {
    this.trace.push('flush');
    await this.flushGate;
    if (this.failFlush > 0) {
      this.failFlush--;
      this.trace.push('flush-failed');
      throw new Error('disk full');
    }
    this.trace.push('flushed');
  }
}

function ref(path: string): FileRef {
  return { key: path, relativePath: path, subdirStr: '', filename: path, filenameAppend: '', fileHash: sha512(Buffer.from(path)), nTotalChunks: 2, fileMtime: null, generation: 1, firstSeenAt: new Date() };
}

function at(partition: number, ...offsets: number[]): RecordPosition[] {
  return offsets.map((o) => ({ topic: TOPIC, partition, offset: String(o) }));
}

function setup(options: Partial<OffsetCommitterOptions> & { failCommits?: number } = {}) {
  const trace: string[] = [];
  const registry = new FakeRegistry(trace);
  const tracker = new OffsetTracker();
  const commits: CommitOffset[][] = [];
  let failCommits = options.failCommits ?? 0;
  const committer = new OffsetCommitter({
    tracker,
    registry,
    logger: silent,
    intervalMs: 3_600_000, // commits in these tests come from commitNow() and _final, not the timer
    commit: async (offsets) => {
      if (failCommits > 0) {
        failCommits--;
        trace.push(`commit-failed:${fmt(offsets)}`);
        throw new Error('broker unavailable');
      }
      commits.push(offsets);
      trace.push(`commit:${fmt(offsets)}`);
    },
    ...options,
  });
  return { trace, registry, tracker, commits, committer };
}

function fmt(offsets: CommitOffset[]): string {
  return offsets.map((o) => `${o.partition}@${o.offset}`).sort().join(',');
}

function write(committer: OffsetCommitter, s: Settlement): Promise<void> {
  return new Promise((resolve, reject) => committer.write(s, (err) => (err ? reject(err) : resolve())));
}

function observe(tracker: OffsetTracker, partition: number, from: number, to: number): void {
  for (let o = from; o <= to; o++) tracker.observe(TOPIC, partition, String(o));
}

test('the registry is written and flushed before the offsets are committed', async () => {
  const { trace, tracker, committer } = setup();
  observe(tracker, 0, 0, 3);
  await write(committer, { kind: 'settle', positions: at(0, 0, 1), outcome: 'processed', file: ref('a.csv') });
  await write(committer, { kind: 'settle', positions: at(0, 2, 3), outcome: 'failed', file: ref('b.csv'), error: new Error('bad') });
  await committer.commitNow();
  assert.deepEqual(trace, ['processed:a.csv', 'failed:b.csv:bad', 'flush', 'flushed', 'commit:0@4']);
});

test('a settlement recorded while the registry flushes is not committed by that flush', async () => {
  const { trace, registry, tracker, committer } = setup();
  observe(tracker, 0, 0, 5);
  await write(committer, { kind: 'settle', positions: at(0, 0, 1, 2), outcome: 'processed', file: ref('a.csv') });
  let open!: () => void;
  registry.flushGate = new Promise((resolve) => (open = resolve));
  const committing = committer.commitNow();
  await tick();
  assert.deepEqual(trace.slice(-1), ['flush']);
  // b.csv is recorded (in memory only) and settled while the flush is in flight.
  await write(committer, { kind: 'settle', positions: at(0, 3, 4, 5), outcome: 'processed', file: ref('b.csv') });
  open();
  await committing;
  registry.flushGate = undefined;
  await committer.commitNow();
  // Every commit covers only records whose registry rows were written before a completed flush.
  const bMarked = trace.indexOf('processed:b.csv');
  const firstCommit = trace.findIndex((e) => e.startsWith('commit:'));
  assert.equal(trace[firstCommit], 'commit:0@3', `trace: ${trace.join(' ')}`);
  assert.ok(bMarked < trace.lastIndexOf('flush'), 'b.csv was flushed before the commit that covers it');
  assert.equal(trace.at(-1), 'commit:0@6');
});

test('commits only up to the settled watermark', async () => {
  const { tracker, committer, commits } = setup();
  observe(tracker, 0, 0, 9);
  await write(committer, { kind: 'settle', positions: at(0, 0, 1, 2, 3), outcome: 'processed', file: ref('a.csv') });
  await write(committer, { kind: 'settle', positions: at(0, 5), outcome: 'rejected' });
  await committer.commitNow();
  assert.deepEqual(commits, [[{ topic: TOPIC, partition: 0, offset: '4' }]]);
  await committer.commitNow();
  assert.equal(commits.length, 1, 'nothing new: no commit');
  await write(committer, { kind: 'settle', positions: at(0, 4), outcome: 'skipped' });
  await committer.commitNow();
  assert.deepEqual(commits.at(-1), [{ topic: TOPIC, partition: 0, offset: '6' }], '4 settled: the watermark jumps past 5');
});

test('partitions move independently', async () => {
  const { tracker, committer, commits } = setup();
  observe(tracker, 0, 0, 3);
  observe(tracker, 1, 100, 102);
  await write(committer, { kind: 'settle', positions: [...at(0, 1), ...at(1, 100, 101, 102)], outcome: 'processed', file: ref('x.csv') });
  await committer.commitNow();
  assert.equal(fmt(commits[0]!), '1@103', 'partition 0 is held back by its offset 0');
});

test('a failed commit is retried with the next one', async () => {
  const { trace, tracker, committer, commits } = setup({ failCommits: 1 });
  observe(tracker, 0, 0, 4);
  await write(committer, { kind: 'settle', positions: at(0, 0, 1), outcome: 'processed', file: ref('a.csv') });
  await committer.commitNow();
  assert.equal(commits.length, 0);
  assert.equal(tracker.committed(TOPIC, 0), undefined);
  await committer.commitNow();
  assert.deepEqual(commits, [[{ topic: TOPIC, partition: 0, offset: '2' }]]);
  assert.equal(tracker.committed(TOPIC, 0), '2');
  assert.deepEqual(trace.filter((e) => e.startsWith('commit')), ['commit-failed:0@2', 'commit:0@2']);
  assert.equal(committer.commits, 1);
});

test('a failed registry flush commits nothing; the next round does', async () => {
  const { trace, registry, tracker, committer, commits } = setup();
  registry.failFlush = 1;
  observe(tracker, 0, 0, 1);
  await write(committer, { kind: 'settle', positions: at(0, 0, 1), outcome: 'processed', file: ref('a.csv') });
  await committer.commitNow();
  assert.equal(commits.length, 0);
  await committer.commitNow();
  assert.deepEqual(commits, [[{ topic: TOPIC, partition: 0, offset: '2' }]]);
  assert.deepEqual(trace, ['processed:a.csv', 'flush', 'flush-failed', 'flush', 'flushed', 'commit:0@2']);
});

test('_final flushes and commits once more at the end', async () => {
  const { trace, tracker, committer, commits } = setup();
  observe(tracker, 3, 7, 9);
  await write(committer, { kind: 'settle', positions: at(3, 7, 8, 9), outcome: 'processed', file: ref('z.csv') });
  assert.equal(commits.length, 0);
  await new Promise<void>((resolve, reject) => committer.end((err?: Error | null) => (err ? reject(err) : resolve())));
  assert.deepEqual(commits, [[{ topic: TOPIC, partition: 3, offset: '10' }]]);
  assert.deepEqual(trace.slice(-3), ['flush', 'flushed', 'commit:3@10']);
});

test('the timer commits every intervalMs', async () => {
  const { tracker, committer, commits } = setup({ intervalMs: 5 });
  observe(tracker, 0, 0, 0);
  await write(committer, { kind: 'settle', positions: at(0, 0), outcome: 'processed', file: ref('t.csv') });
  for (let i = 0; i < 100 && commits.length === 0; i++) await tick(5);
  assert.deepEqual(commits, [[{ topic: TOPIC, partition: 0, offset: '1' }]]);
  committer.destroy();
});

test('outcomes map onto registry calls; onSettled sees each settlement after it was recorded', async () => {
  const seen: string[] = [];
  const { trace, tracker, committer } = setup({ onSettled: (s) => void seen.push(`${s.outcome}@${trace.length}`) });
  observe(tracker, 0, 0, 5);
  const all: Settlement[] = [
    { kind: 'settle', positions: at(0, 0), outcome: 'mismatched_hash', file: ref('m.csv') },
    { kind: 'settle', positions: at(0, 1), outcome: 'superseded', file: ref('s.csv') },
    { kind: 'settle', positions: at(0, 2), outcome: 'skipped' },
    { kind: 'settle', positions: at(0, 3), outcome: 'already_processed', file: ref('p.csv') },
  ];
  for (const s of all) await write(committer, s);
  assert.deepEqual(trace, ['mismatched:m.csv', 'clear:s.csv', 'clear:p.csv']);
  assert.deepEqual(seen, ['mismatched_hash@1', 'superseded@2', 'skipped@2', 'already_processed@3']);
  assert.equal(tracker.watermark(TOPIC, 0), '4');
});

test('destroy(err): error then close, and no commit afterwards', async () => {
  const { tracker, committer, commits } = setup({ intervalMs: 5 });
  observe(tracker, 0, 0, 1);
  const events = recordEvents(committer, ['finish', 'error', 'close']);
  await write(committer, { kind: 'settle', positions: at(0, 0, 1), outcome: 'processed', file: ref('a.csv') });
  committer.destroy(new Error('boom'));
  let late: unknown;
  committer.write({ kind: 'settle', positions: [], outcome: 'skipped' }, (err) => (late = err));
  await tick(40);
  assert.deepEqual(events, ['error', 'close']);
  assert.equal(commits.length, 0, 'the timer is stopped: nothing is committed after destroy');
  assert.equal((late as NodeJS.ErrnoException | undefined)?.code, 'ERR_STREAM_DESTROYED');
});

/** A registry whose processed rows can be made durable on their own (FileRegistry does). */
class EagerRegistry extends FakeRegistry {
  processedGate: Promise<void> | undefined;
  failProcessed = 0;
  async flushProcessed(): Promise<void> {
    this.trace.push('flush-processed');
    await this.processedGate;
    if (this.failProcessed > 0) {
      this.failProcessed--;
      throw new Error('disk full');
    }
    this.trace.push('processed-durable');
  }
}

function setupEager(processedFlushGapMs = 0) {
  const trace: string[] = [];
  const registry = new EagerRegistry(trace);
  const tracker = new OffsetTracker();
  const committer = new OffsetCommitter({ tracker, registry, logger: silent, intervalMs: 3_600_000, processedFlushGapMs, commit: async () => undefined });
  return { trace, registry, tracker, committer };
}

test('a processed file is made durable at once, not at the next commit; files processed meanwhile share one more flush', async () => {
  const { trace, registry, tracker, committer } = setupEager();
  observe(tracker, 0, 0, 5);
  let open!: () => void;
  registry.processedGate = new Promise((resolve) => (open = resolve));
  await write(committer, { kind: 'settle', positions: at(0, 0), outcome: 'processed', file: ref('a.csv') });
  assert.deepEqual(trace, ['processed:a.csv', 'flush-processed'], 'the flush starts with the first processed file');
  for (const [i, name] of ['b.csv', 'c.csv', 'd.csv'].entries()) {
    await write(committer, { kind: 'settle', positions: at(0, i + 1), outcome: 'processed', file: ref(name) });
  }
  await write(committer, { kind: 'settle', positions: at(0, 4), outcome: 'failed', file: ref('e.csv'), error: new Error('x') });
  registry.processedGate = undefined;
  open();
  await tick(20);
  assert.deepEqual(trace, [
    'processed:a.csv', 'flush-processed', 'processed:b.csv', 'processed:c.csv', 'processed:d.csv', 'failed:e.csv:x',
    'processed-durable', 'flush-processed', 'processed-durable',
  ]);
  await tick();
  assert.equal(trace.filter((e) => e === 'flush-processed').length, 2, 'no flush without new processed files');
});

test('a failed flush of processed rows does not stop the stream; the next processed file flushes again', async () => {
  const { trace, registry, tracker, committer } = setupEager();
  observe(tracker, 0, 0, 1);
  const events = recordEvents(committer, ['error', 'close']);
  registry.failProcessed = 1;
  await write(committer, { kind: 'settle', positions: at(0, 0), outcome: 'processed', file: ref('a.csv') });
  await tick(20);
  await write(committer, { kind: 'settle', positions: at(0, 1), outcome: 'processed', file: ref('b.csv') });
  await tick(20);
  assert.deepEqual(events, []);
  assert.deepEqual(trace, ['processed:a.csv', 'flush-processed', 'processed:b.csv', 'flush-processed', 'processed-durable']);
});

test('flushes of processed rows start at least processedFlushGapMs apart', async () => {
  const { trace, tracker, committer } = setupEager(80);
  observe(tracker, 0, 0, 1);
  const starts: number[] = [];
  const t0 = Date.now();
  const push = trace.push.bind(trace);
  trace.push = (...items: string[]) => {
    if (items.includes('flush-processed')) starts.push(Date.now() - t0);
    return push(...items);
  };
  await write(committer, { kind: 'settle', positions: at(0, 0), outcome: 'processed', file: ref('a.csv') });
  await tick();
  await write(committer, { kind: 'settle', positions: at(0, 1), outcome: 'processed', file: ref('b.csv') });
  await tick(150);
  assert.equal(starts.length, 2, `trace: ${trace.join(' ')}`);
  assert.ok(starts[1]! - starts[0]! >= 75, `second flush ${starts[1]! - starts[0]!} ms after the first`);
});
