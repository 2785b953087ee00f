// Crashes and stops of the real program (`datafile-stream process` / `download-directory`)
// against the real broker: SIGKILL at forced points (DATAFILE_STREAM_CRASH_AT) and at random
// moments, then a restart with the same group: no file lost, none with wrong bytes, committed
// offsets at the end. Graceful `q`, SIGTERM and `c` on a running program.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertCommittedToEnd, bytes, chunksOf, createTopic, produce, recordOf, runCli, sha512Hex, treeHashes, uniqueName,
} from './consumer-support.js';
import { duplicatesPerRun } from '../../bench/faults/duplicate-window.js';
import { readRecordFile } from '../../bench/faults/oracle.js';

const CHUNK = 2048;
// The fault matrix's processor: records `path;sha;ms;pid;attempt` per processed file to $RECORD_FILE.
const processor = new URL('../../bench/faults/fault-processor.ts', import.meta.url).pathname;

/** 12 files, their chunks shuffled over 3 partitions (the hardest layout: OpenMSIStream's). */
async function seedTopic(): Promise<{ topic: string; expected: Map<string, string> }> {
  const topic = uniqueName('crash');
  await createTopic(topic, 3);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < 12; i++) files.set(`run_${i % 3}/file_${i}.dat`, bytes(1 + ((i * 7919) % 9) * CHUNK + i, 100 + i));
  const records = [...files].flatMap(([path, data]) => chunksOf(path, data, CHUNK).map((c) => recordOf(c)));
  let x = 5;
  for (let i = records.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  await produce(topic, records.map((r, i) => ({ ...r, partition: i % 3 })));
  return { topic, expected: new Map([...files].map(([p, d]) => [p, sha512Hex(d)])) };
}

function processArgs(topic: string, group: string, out: string): string[] {
  return ['process', processor, '--topic_name', topic, '--consumer_group_id', group, '--output_dir', out, '--mode', 'disk', '--until_idle', '2', '--logger_stream_level', 'error'];
}

async function checkOutcome(topic: string, group: string, out: string, record: string, expected: Map<string, string>, label: string, crashes = 1): Promise<void> {
  const lines = await readRecordFile(record);
  const seen = new Map<string, string>();
  for (const { path, sha } of lines) {
    assert.equal(sha, expected.get(path), `${label}: ${path} processed with wrong bytes`);
    seen.set(path, sha);
  }
  assert.deepEqual(seen, expected, `${label}: every file processed`);
  assert.deepEqual(await treeHashes(out), expected, `${label}: tree on disk`);
  const duplicates = lines.length - expected.size;
  assert.ok(duplicates <= crashes * WINDOW, `${label}: ${duplicates} files processed twice after ${crashes} crash(es) (window ${WINDOW} per crash)`);
  await assertCommittedToEnd(topic, group, `${label}: `);
}

/**
 * Files a crash may make the program process again although their processing had ended: a
 * processed file's registry row is flushed within 100 ms, so with files taking 150 ms only those
 * ending while that flush runs (one per thread) and those ending during the next are at risk:
 * 2 x n_threads (default 2). bench/faults/duplicate-window.ts has the general bound.
 */
const WINDOW = 4;

test('SIGKILL at every forced crash point, then restart: nothing lost, nothing wrong, offsets at the end', async (t) => {
  const { topic, expected } = await seedTopic();
  const points = ['after-buffer:5', 'after-staging-write:9', 'before-rename:3', 'after-rename:3', 'in-processing:4', 'after-processing:4', 'after-registry:1', 'after-commit:1'];
  for (const point of points) {
    const dir = await mkdtemp(join(tmpdir(), 'crash-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const out = join(dir, 'out');
    const record = join(dir, 'record.txt');
    const group = uniqueName('g');
    const crashed = await runCli(processArgs(topic, group, out), { env: { RECORD_FILE: record, DATAFILE_STREAM_CRASH_AT: point } });
    assert.equal(crashed.signal, 'SIGKILL', `${point}: the crash point was reached (exit ${crashed.code}: ${crashed.stderr.slice(-400)})`);
    const restarted = await runCli(processArgs(topic, group, out), { env: { RECORD_FILE: record } });
    assert.equal(restarted.code, 0, `${point}: restart exits 0: ${restarted.stderr.slice(-400)}`);
    await checkOutcome(topic, group, out, record, expected, point);
  }
});

test('SIGKILL at random moments, restarted until caught up: nothing lost, nothing wrong', async (t) => {
  const { topic, expected } = await seedTopic();
  const dir = await mkdtemp(join(tmpdir(), 'crash-random-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const record = join(dir, 'record.txt');
  const group = uniqueName('g');
  let kills = 0;
  for (const delayMs of [1500, 2300, 1900, 2800]) {
    const run = await runCli(processArgs(topic, group, out), {
      env: { RECORD_FILE: record, SLOW_MS: '150' },
      onSpawn: (child) => setTimeout(() => child.kill('SIGKILL'), delayMs),
    });
    if (run.signal === 'SIGKILL') kills++;
  }
  assert.ok(kills >= 3, `only ${kills} of 4 runs were killed`);
  const final = await runCli(processArgs(topic, group, out), { env: { RECORD_FILE: record } });
  assert.equal(final.code, 0, final.stderr.slice(-400));
  const perRun = [...duplicatesPerRun(await readRecordFile(record), expected).values()];
  assert.ok(perRun.every((d) => d <= WINDOW), `duplicates per crashed run ${perRun.join(', ')}: more than the window ${WINDOW}`);
  await checkOutcome(topic, group, out, record, expected, 'random kills', kills);
});

for (const how of ['q', 'SIGTERM'] as const) {
  test(`download-directory stops gracefully on ${how} (exit ${how === 'q' ? 0 : 143}), commits, and "c" prints counts`, async (t) => {
    const { topic, expected } = await seedTopic();
    const dir = await mkdtemp(join(tmpdir(), 'graceful-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const out = join(dir, 'out');
    const group = uniqueName('g');
    const processed = join(out, 'LOGS', `processed_from_${topic}_by_${group}.csv`);
    const run = await runCli(['download-directory', out, '--topic_name', topic, '--consumer_group_id', group, '--logger_stream_level', 'error'], {
      onSpawn: (child) => {
        const poll = setInterval(async () => {
          const rows = (await readFile(processed, 'utf8').catch(() => '')).trim().split('\n').length - 1;
          if (rows < expected.size) return;
          clearInterval(poll);
          child.stdin!.write('c\n');
          setTimeout(() => (how === 'q' ? child.stdin!.write('q\n') : child.kill('SIGTERM')), 500);
        }, 200);
      },
    });
    // q ends the run normally (0); a signal's stop exits 128 + n (SIGTERM 143), as the README says.
    assert.equal(run.code, how === 'q' ? 0 : 143, `${how}: exit ${run.code ?? run.signal}: ${run.stderr.slice(-400)}`);
    assert.match(run.stdout, /files processed: 12/);
    assert.match(run.stdout, new RegExp(`stopped by ${how}`.replace('q', 'quit')));
    assert.deepEqual(await treeHashes(out), expected);
    await assertCommittedToEnd(topic, group);
  });
}
