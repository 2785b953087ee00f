import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getEventListeners } from 'node:events';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import type { DataFileStreamError } from '../../lib/errors.js';
import type { FileRef, ReadyFile, Settlement, SinkEvent } from '../../lib/pipeline-events.js';
import { DownloadDataFile } from '../../lib/download-data-file.js';
import { createLock } from '../../lib/processing/lock.js';
import { ProcessTransform, type ProcessTransformOptions } from '../../lib/processing/process-transform.js';
import { Log, realFile, recordEvents, run, silent, tick } from '../support/stage-fixtures.js';

interface Made {
  ready: ReadyFile;
  released: () => number;
}

const log = new Log();

function ready(path: string, content: Buffer): Made {
  const fileHash = sha512(content);
  const slash = path.lastIndexOf('/');
  const ref: FileRef = {
    key: path,
    relativePath: path,
    subdirStr: slash < 0 ? '' : path.slice(0, slash),
    filename: path.slice(slash + 1),
    filenameAppend: '',
    fileHash,
    nTotalChunks: 1,
    fileMtime: null,
    generation: 1,
    firstSeenAt: new Date(),
  };
  const file = new DownloadDataFile({ relativeFilepath: path, subdirStr: ref.subdirStr, filename: ref.filename, fileHash, nTotalChunks: 1, size: content.length, fileMtime: null, data: content });
  let released = 0;
  return { ready: { kind: 'file', ref, file, positions: [log.position(), log.position()], release: () => void released++ }, released: () => released };
}

function transform(o: Partial<ProcessTransformOptions> & Pick<ProcessTransformOptions, 'process'>): ProcessTransform {
  return new ProcessTransform({ logger: silent, backoffMs: 1, ...o });
}

const outcomes = (out: Settlement[]): Record<string, string> => Object.fromEntries(out.map((s) => [s.file?.relativePath ?? '-', s.outcome]));

test('nThreads files are processed at once, never more', async () => {
  const content = await realFile('tensileA1');
  for (const nThreads of [1, 3, 5]) {
    const files = Array.from({ length: 12 }, (_, i) => ready(`f/${i}.csv`, content));
    let now = 0;
    let max = 0;
    const stage = transform({
      nThreads,
      process: async (file) => {
        now++;
        max = Math.max(max, now);
        await tick(1 + (Number(file.filename.split('.')[0]) % 4) * 3);
        now--;
        return undefined;
      },
    });
    const passThrough: Settlement = { kind: 'settle', positions: [log.position()], outcome: 'rejected' };
    const out = await run<Settlement>([...files.slice(0, 6).map((f) => f.ready), passThrough, ...files.slice(6).map((f) => f.ready)], stage);
    assert.equal(max, nThreads, `nThreads ${nThreads}`);
    assert.equal(out.length, 13);
    assert.equal(out.filter((s) => s.outcome === 'processed').length, 12);
    assert.ok(out.includes(passThrough), 'settlements from upstream pass through untouched');
    for (const f of files) assert.equal(f.released(), 1, 'released once, after processing');
    const settled = out.find((s) => s.file === files[3]!.ready.ref)!;
    assert.equal(settled.positions, files[3]!.ready.positions, "the file's positions travel with its settlement");
  }
});

test('a function that throws twice then succeeds: processed after 3 attempts', async () => {
  const made = ready('retry/x.csv', await realFile('tensileA2'));
  let attempts = 0;
  let failedCalls = 0;
  const seen: Buffer[] = [];
  const out = await run<Settlement>([made.ready], transform({
    maxAttempts: 3,
    process: async (file) => {
      attempts++;
      seen.push(file.bytestring);
      if (attempts <= 2) throw new Error(`flaky ${attempts}`);
    },
    onFailed: () => void failedCalls++,
  }));
  assert.equal(attempts, 3);
  assert.deepEqual(outcomes(out), { 'retry/x.csv': 'processed' });
  assert.equal(failedCalls, 0);
  assert.ok(seen.every((b) => b.equals(seen[0]!)), 'every attempt sees the same bytes');
  assert.equal(made.released(), 1);
});

test("always failing: 'failed' after maxAttempts, onFailed called once with the last error", async () => {
  const made = ready('bad/x.csv', await realFile('tensileA1'));
  let attempts = 0;
  const failed: Array<[string, string]> = [];
  let releasedAtFailure = -1;
  const started = Date.now();
  const out = await run<Settlement>([made.ready], transform({
    maxAttempts: 4,
    backoffMs: 5,
    process: async () => {
      attempts++;
      throw new Error(`attempt ${attempts}`);
    },
    onFailed: (file, error) => {
      failed.push([file.relativeFilepath, error.message]);
      releasedAtFailure = made.released();
    },
  }));
  assert.equal(attempts, 4);
  assert.deepEqual(failed, [['bad/x.csv', 'attempt 4']]);
  assert.equal(releasedAtFailure, 0, 'onFailed still has the file');
  assert.equal(out[0]!.outcome, 'failed');
  assert.equal(out[0]!.error?.message, 'attempt 4');
  assert.ok(Date.now() - started >= 5 + 10 + 20, 'attempts are spaced by exponential backoff');
  assert.equal(made.released(), 1);
});

test('a returned Error, or a thrown non-Error, is a failure; undefined and null are success', async () => {
  const content = await realFile('tensileA1');
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    ['returns-error.csv', async () => new Error('nope'), 'failed'],
    ['throws-string.csv', async () => Promise.reject('a string'), 'failed'],
    ['returns-null.csv', async () => null, 'processed'],
    ['returns-undefined.csv', async () => undefined, 'processed'],
    ['sync-throw.csv', (() => {
      throw new Error('sync');
    }) as () => Promise<unknown>, 'failed'],
  ];
  const files = cases.map(([name]) => ready(name, content));
  const behaviour = new Map(cases.map(([name, fn]) => [name, fn]));
  const out = await run<Settlement>(files.map((f) => f.ready), transform({ maxAttempts: 2, process: (file) => behaviour.get(file.relativeFilepath)!() as Promise<undefined> }));
  assert.deepEqual(outcomes(out), Object.fromEntries(cases.map(([name, , expected]) => [name, expected])));
  const stringFailure = out.find((s) => s.file?.relativePath === 'throws-string.csv')!;
  assert.equal((stringFailure.error as DataFileStreamError).code, 'ERR_PROCESSING_FAILED');
  assert.match(stringFailure.error!.message, /a string/);
});

test('a hanging function with timeoutMs: failed attempts, other files still flow', async () => {
  const content = await realFile('tensileA2');
  const files = ['hang.csv', 'a.csv', 'b.csv', 'c.csv', 'd.csv'].map((n) => ready(n, content));
  let hangAttempts = 0;
  const order: string[] = [];
  const out = await run<Settlement>(files.map((f) => f.ready), transform({
    nThreads: 2,
    maxAttempts: 2,
    timeoutMs: 40,
    process: async (file) => {
      if (file.filename === 'hang.csv') {
        hangAttempts++;
        return new Promise(() => undefined); // never settles
      }
      await tick(2);
      order.push(file.filename);
      return undefined;
    },
  }));
  assert.equal(hangAttempts, 2);
  const hang = out.find((s) => s.file?.relativePath === 'hang.csv')!;
  assert.equal(hang.outcome, 'failed');
  assert.equal((hang.error as DataFileStreamError).code, 'ERR_PROCESSING_TIMEOUT');
  assert.deepEqual(order.sort(), ['a.csv', 'b.csv', 'c.csv', 'd.csv']);
  assert.equal(out.at(-1), hang, 'the others finished while the hung one was timing out');
});

test('lock.runExclusive serializes the critical section across concurrent files', async () => {
  const content = await realFile('tensileA1');
  const lock = createLock();
  let inside = 0;
  let maxInside = 0;
  let running = 0;
  let maxRunning = 0;
  const trace: string[] = [];
  const files = Array.from({ length: 8 }, (_, i) => ready(`l/${i}.csv`, content));
  await run<Settlement>(files.map((f) => f.ready), transform({
    nThreads: 4,
    process: async (file) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await tick(2);
      await lock.runExclusive(async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        trace.push(`in:${file.filename}`);
        await tick(3);
        trace.push(`out:${file.filename}`);
        inside--;
      });
      running--;
      return undefined;
    },
  }));
  assert.equal(maxRunning, 4);
  assert.equal(maxInside, 1);
  for (let i = 0; i < trace.length; i += 2) assert.equal(trace[i]!.slice(3), trace[i + 1]!.slice(4), 'no interleaving inside the lock');
  // acquire/release works too, and the lock is free at the end.
  const release = await lock.acquire();
  assert.equal(lock.isLocked(), true);
  release();
  assert.equal(lock.isLocked(), false);
});

test('retries with an AbortSignal do not pile up abort listeners', async () => {
  const content = await realFile('tensileA1');
  const controller = new AbortController();
  const files = Array.from({ length: 15 }, (_, i) => ready(`s/${i}.csv`, content));
  const out = await run<Settlement>(files.map((f) => f.ready), transform({ nThreads: 3, maxAttempts: 3, signal: controller.signal, process: async () => new Error('no') }));
  assert.equal(out.length, 15);
  assert.ok(getEventListeners(controller.signal, 'abort').length <= 3, `${getEventListeners(controller.signal, 'abort').length} abort listeners left behind`);
});

test('end of input waits for the files in processing', async () => {
  const content = await realFile('tensileA2');
  const files = Array.from({ length: 3 }, (_, i) => ready(`e/${i}.csv`, content));
  const stage = transform({ nThreads: 3, process: async () => tick(30) as Promise<undefined> });
  const seen: string[] = [];
  stage.on('data', (s: Settlement) => seen.push(s.outcome));
  const ended = new Promise<void>((resolve) => stage.on('end', () => (seen.push('end'), resolve())));
  for (const f of files) stage.write(f.ready);
  stage.end();
  await ended;
  assert.deepEqual(seen, ['processed', 'processed', 'processed', 'end']);
});

test('stop(): the files in processing finish; files arriving later are skipped with no positions, and released', async () => {
  const content = await realFile('tensileA2');
  const files = Array.from({ length: 6 }, (_, i) => ready(`q/${i}.csv`, content));
  const started: string[] = [];
  const stage = transform({
    nThreads: 2,
    process: async (file) => {
      started.push(file.filename);
      await tick(40);
      return undefined;
    },
  });
  const out: Settlement[] = [];
  stage.on('data', (s: Settlement) => out.push(s));
  for (const f of files) stage.write(f.ready);
  stage.end();
  await tick(5);
  assert.deepEqual(stage.inProcessing, ['q/0.csv', 'q/1.csv']);
  await stage.stop();
  await new Promise((resolve) => stage.on('end', resolve));
  assert.deepEqual(started, ['0.csv', '1.csv'], 'no file starts after stop()');
  assert.deepEqual(outcomes(out), { 'q/0.csv': 'processed', 'q/1.csv': 'processed', 'q/2.csv': 'skipped', 'q/3.csv': 'skipped', 'q/4.csv': 'skipped', 'q/5.csv': 'skipped' });
  for (const s of out.filter((x) => x.outcome === 'skipped')) assert.deepEqual(s.positions, [], 'read-ahead records stay unsettled');
  assert.ok(files.every((f) => f.released() === 1), 'every file gives its memory back once');
});

test('stop() during a retry backoff: the failing file is not retried and stays unsettled', async () => {
  const content = await realFile('tensileA1');
  const f = ready('r/0.csv', content);
  let attempts = 0;
  const stage = transform({ backoffMs: 10_000, maxAttempts: 3, process: async () => (attempts++, new Error('not yet')) });
  const out: Settlement[] = [];
  stage.on('data', (s: Settlement) => out.push(s));
  stage.write(f.ready);
  await tick(5);
  const t0 = Date.now();
  await stage.stop();
  assert.ok(Date.now() - t0 < 1000, 'the backoff is cut short');
  assert.equal(attempts, 1);
  assert.equal(out[0]?.outcome, 'skipped');
  assert.deepEqual(out[0]?.positions, []);
});

test('stop(): a journaled file (records already committed from the staging journal) is processed, not skipped', async () => {
  // Skipped with no positions, its journaled records would stay committed while the file has left
  // staging: the next run would read only its last records and never complete it (lost).
  const content = await realFile('tensileA2');
  const files = Array.from({ length: 4 }, (_, i) => ready(`j/${i}.csv`, content));
  files[3]!.ready.journaled = true;
  const started: string[] = [];
  const stage = transform({
    nThreads: 1,
    process: async (file) => {
      started.push(file.filename);
      await tick(20);
      return undefined;
    },
  });
  const out: Settlement[] = [];
  stage.on('data', (s: Settlement) => out.push(s));
  for (const f of files) stage.write(f.ready);
  stage.end();
  await tick(5);
  await stage.stop();
  await new Promise((resolve) => stage.on('end', resolve));
  assert.deepEqual(started, ['0.csv', '3.csv']);
  assert.deepEqual(outcomes(out), { 'j/0.csv': 'processed', 'j/1.csv': 'skipped', 'j/2.csv': 'skipped', 'j/3.csv': 'processed' });
  assert.deepEqual(out.find((s) => s.file?.relativePath === 'j/3.csv')?.positions, files[3]!.ready.positions, 'its remaining records are settled');
  assert.ok(files.every((f) => f.released() === 1));
});

test('stop() during a retry backoff of a journaled file: it is retried, not given up', async () => {
  const content = await realFile('tensileA1');
  const f = ready('r/j.csv', content);
  f.ready.journaled = true;
  let attempts = 0;
  const stage = transform({ backoffMs: 20, maxAttempts: 3, process: async () => (++attempts < 2 ? new Error('not yet') : undefined) });
  const out: Settlement[] = [];
  stage.on('data', (s: Settlement) => out.push(s));
  stage.write(f.ready);
  await tick(5);
  await stage.stop();
  await tick(80);
  assert.equal(attempts, 2);
  assert.equal(out[0]?.outcome, 'processed');
  assert.deepEqual(out[0]?.positions, f.ready.positions);
});

test('destroy(err) while files are processing: error then close, no settlement after', async () => {
  const content = await realFile('tensileA1');
  const files = Array.from({ length: 3 }, (_, i) => ready(`d/${i}.csv`, content));
  let finished = 0;
  const stage = transform({
    nThreads: 2,
    process: async () => {
      await tick(20);
      finished++;
      return undefined;
    },
  });
  const seen = recordEvents(stage);
  for (const f of files) stage.write(f.ready as SinkEvent);
  await tick(2);
  stage.destroy(new Error('boom'));
  await tick(60);
  assert.equal(finished, 2, 'the running calls are not cancelled, only their results ignored');
  assert.deepEqual(seen, ['error', 'close']);
});

test('options are validated once, with a coded error naming the option', () => {
  for (const [option, value] of [['nThreads', 0], ['maxAttempts', 1.5]] as const) {
    assert.throws(() => transform({ process: async () => undefined, [option]: value }), (err: DataFileStreamError) => err.code === 'ERR_INVALID_OPTION' && (err as unknown as { option: string }).option === option);
  }
});
