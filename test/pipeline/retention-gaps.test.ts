// RetentionGapWatch against the real local broker: the gap is made the way retention makes it
// (records deleted below the group's committed offset), and the verdict hooks record what the
// watch asks of the assembler and the registry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import type { Admin } from 'kafkajs';
import { pino, type Logger } from 'pino';
import { AssemblyError, type DataFileStreamError } from '../../lib/errors.js';
import { RetentionGapWatch, retentionGapsOf, unrecoverable, verdictDue, type GapVerdictHooks, type RetentionGap } from '../../lib/pipeline/retention-gaps.js';
import type { InProgressEntry } from '../../lib/registry/file-registry.js';
import { createTopic, kafka, produce, uniqueName } from '../integration/consumer-support.js';

type LogLine = { level: number; msg: string; code?: string; partition?: number; file?: string; from?: string; to?: string };

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

function entry(relativeFilepath: string, status: string, mostRecentMessage: Date): InProgressEntry {
  return { filename: relativeFilepath.split('/').at(-1)!, relativeFilepath, status, nChunks: 1, firstMessage: mostRecentMessage, mostRecentMessage };
}

async function withAdmin(t: { after: (fn: () => Promise<void>) => void }, retries?: number): Promise<Admin> {
  const admin = kafka.admin(retries === undefined ? {} : { retry: { retries } });
  await admin.connect();
  t.after(() => admin.disconnect());
  return admin;
}

/** A topic with `count` records on partition 0, the group committed at `committed`, records below `deleteBelow` deleted. */
async function topicWithGap(admin: Admin, o: { count: number; committed: number; deleteBelow: number }): Promise<{ topic: string; groupId: string }> {
  const topic = uniqueName('retention-gap');
  const groupId = uniqueName('retention-group');
  await createTopic(topic, 1);
  await produce(topic, Array.from({ length: o.count }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`), partition: 0 })));
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: String(o.committed) }] });
  if (o.deleteBelow > 0) {
    await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs the topic's leaders loaded
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(o.deleteBelow) }] });
  }
  return { topic, groupId };
}

/** Hooks that record every call; `open` is what the assembler still holds. */
function hooks(h: { next?: bigint; quietForMs?: number; open?: string[] }) {
  const abandoned: Array<{ path: string; code: string }> = [];
  const markedFailed: Array<{ path: string; code: string }> = [];
  const verdict: GapVerdictHooks = {
    nextOffset: () => h.next,
    quietForMs: h.quietForMs ?? 0,
    abandon: (path: string, error: DataFileStreamError) => {
      if (!(h.open ?? []).includes(path)) return false;
      abandoned.push({ path, code: error.code });
      return true;
    },
    markFailed: (e: InProgressEntry, error: DataFileStreamError) => {
      markedFailed.push({ path: e.relativeFilepath, code: error.code });
    },
  };
  return { verdict, abandoned, markedFailed };
}

test('retentionGapsOf: only partitions whose committed offset is below the log start, sorted; nothing committed is no gap', () => {
  const gaps = retentionGapsOf(
    [{ partition: 2, offset: '3' }, { partition: 0, offset: '10' }, { partition: 1, offset: '-1' }, { partition: 3, offset: '7' }],
    [{ partition: 3, low: '7', high: '9' }, { partition: 2, low: '5', high: '8' }, { partition: 1, low: '4', high: '6' }, { partition: 0, low: '12', high: '20' }],
  );
  assert.deepEqual(gaps, [
    { partition: 0, committed: 10n, logStart: 12n, end: 20n },
    { partition: 2, committed: 3n, logStart: 5n, end: 8n },
  ]);
});

test('verdictDue waits for every gap partition to be read to its end at start; unrecoverable keeps candidates still in progress', () => {
  const gaps: RetentionGap[] = [
    { partition: 0, committed: 1n, logStart: 4n, end: 9n },
    { partition: 1, committed: 0n, logStart: 3n, end: 3n }, // nothing left after the gap: due at once
  ];
  assert.equal(verdictDue(gaps, () => undefined), false);
  assert.equal(verdictDue(gaps, (p) => (p === 0 ? 8n : undefined)), false);
  assert.equal(verdictDue(gaps, (p) => (p === 0 ? 9n : undefined)), true);

  const t0 = new Date(0);
  const candidates = [entry('a', 'in_progress', t0), entry('b', 'in_progress', t0), entry('c', 'in_progress', t0)];
  const refreshed = new Date(5);
  const now = [entry('a', 'in_progress', refreshed), entry('b', 'failed', t0)]; // c completed: its row is gone
  assert.deepEqual(unrecoverable(candidates, now), [entry('a', 'in_progress', refreshed)], 'the row as it is now');
});

test('no gap on the broker: start() gives no watch', { timeout: 60_000 }, async (t) => {
  const admin = await withAdmin(t);
  const { topic, groupId } = await topicWithGap(admin, { count: 4, committed: 2, deleteBelow: 2 });
  const { logger, lines } = capturingLogger();
  const registry = { inProgressFiles: () => [entry('x.csv', 'in_progress', new Date(0))] };
  assert.equal(await RetentionGapWatch.start({ admin, topic, groupId, registry, logger, started: Date.now() }), undefined);
  assert.deepEqual(lines.filter((l) => l.code === 'ERR_FILE_UNRECOVERABLE'), []);
});

test('a gap is reported at start; the verdict waits, then names each unfinished candidate once', { timeout: 60_000 }, async (t) => {
  const admin = await withAdmin(t);
  const { topic, groupId } = await topicWithGap(admin, { count: 8, committed: 2, deleteBelow: 5 });
  const started = Date.now();
  const before = new Date(started - 60_000);
  const candidates = [
    entry('open/in-assembler.csv', 'in_progress', before), // still open: abandoned there
    entry('never/seen.csv', 'in_progress', before), // not seen by this run: recorded failed
    entry('done/completed.csv', 'in_progress', before), // completes before the verdict
    entry('seen/this-run.csv', 'in_progress', before), // refreshed by this run, closed since
    entry('already/failed.csv', 'failed', before), // not a candidate
  ];
  let now = candidates;
  const { logger, lines } = capturingLogger();
  const watch = await RetentionGapWatch.start({ admin, topic, groupId, registry: { inProgressFiles: () => now }, logger, started });
  assert.ok(watch);
  assert.deepEqual(watch.gaps, [{ partition: 0, committed: 2n, logStart: 5n, end: 8n }]);
  const startLines = lines.filter((l) => l.code === 'ERR_FILE_UNRECOVERABLE');
  assert.equal(startLines.length, 1);
  assert.equal(startLines[0]!.partition, 0);
  assert.deepEqual([startLines[0]!.from, startLines[0]!.to], ['2', '4'], 'the deleted records are named');

  const early = hooks({ next: 7n, open: ['open/in-assembler.csv'] });
  watch.poll(early.verdict);
  assert.equal(watch.pending, true, 'not read to the end at start yet: no verdict');
  assert.deepEqual([early.abandoned, early.markedFailed], [[], []]);

  now = [
    candidates[0]!,
    candidates[1]!,
    entry('seen/this-run.csv', 'in_progress', new Date(started + 1)),
    candidates[4]!,
  ];
  const due = hooks({ next: 8n, open: ['open/in-assembler.csv'] });
  watch.poll(due.verdict);
  assert.equal(watch.pending, false);
  assert.deepEqual(due.abandoned, [{ path: 'open/in-assembler.csv', code: 'ERR_FILE_UNRECOVERABLE' }]);
  assert.deepEqual(due.markedFailed, [{ path: 'never/seen.csv', code: 'ERR_FILE_UNRECOVERABLE' }]);
  const named = lines.filter((l) => l.file !== undefined).map((l) => [l.file, l.code]);
  assert.deepEqual(named, [['open/in-assembler.csv', 'ERR_FILE_UNRECOVERABLE'], ['never/seen.csv', 'ERR_FILE_UNRECOVERABLE']]);

  const again = hooks({ next: 8n, open: ['open/in-assembler.csv'] });
  watch.poll(again.verdict);
  assert.deepEqual([again.abandoned, again.markedFailed], [[], []], 'the verdict is given once');
});

test('a quiet source gives the verdict even before the gap partition was read to its end', { timeout: 60_000 }, async (t) => {
  const admin = await withAdmin(t);
  const { topic, groupId } = await topicWithGap(admin, { count: 6, committed: 1, deleteBelow: 3 });
  const { logger } = capturingLogger();
  const stuck = entry('stuck.csv', 'in_progress', new Date(0));
  const watch = await RetentionGapWatch.start({ admin, topic, groupId, registry: { inProgressFiles: () => [stuck] }, logger, started: Date.now(), quietMs: 500 });
  assert.ok(watch);
  const noisy = hooks({ next: undefined, quietForMs: 499 });
  watch.poll(noisy.verdict);
  assert.equal(watch.pending, true);
  const quiet = hooks({ next: undefined, quietForMs: 500 });
  watch.poll(quiet.verdict);
  assert.equal(watch.pending, false);
  assert.deepEqual(quiet.markedFailed, [{ path: 'stuck.csv', code: 'ERR_FILE_UNRECOVERABLE' }]);
});

test('offsets that cannot be read do not stop the consumer: a warning after three tries, no watch', { timeout: 60_000 }, async (t) => {
  const admin = await withAdmin(t, 0); // kafkajs's own retries of the unknown topic would add ~25 s
  const { logger, lines } = capturingLogger();
  const registry = { inProgressFiles: (): InProgressEntry[] => [] };
  const topic = uniqueName('no-such-topic');
  const watch = await RetentionGapWatch.start({ admin, topic, groupId: uniqueName('g'), registry, logger, started: Date.now() });
  assert.equal(watch, undefined);
  const warnings = lines.filter((l) => l.level === 40);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.msg, /could not read committed and log start offsets/);
});

// Keeps the import honest: the verdict's error is an AssemblyError, which callers branch on by code.
test('the verdict error is an AssemblyError with ERR_FILE_UNRECOVERABLE', { timeout: 60_000 }, async (t) => {
  const admin = await withAdmin(t);
  const { topic, groupId } = await topicWithGap(admin, { count: 3, committed: 0, deleteBelow: 2 });
  const { logger } = capturingLogger();
  const watch = await RetentionGapWatch.start({ admin, topic, groupId, registry: { inProgressFiles: () => [entry('f.csv', 'in_progress', new Date(0))] }, logger, started: Date.now() });
  let seen: DataFileStreamError | undefined;
  watch!.poll({ nextOffset: () => 3n, quietForMs: 0, abandon: () => false, markFailed: (_e, error) => { seen = error; } });
  assert.ok(seen instanceof AssemblyError);
  assert.equal(seen.code, 'ERR_FILE_UNRECOVERABLE');
  assert.equal((seen as unknown as { topic: string }).topic, topic);
});
