// A file whose first records the staging journal released (settled `staged`, so committed) and
// which then completed must survive a SIGKILL before its processing settles: the next run with
// the same group finds it and processes it exactly once. Before the journal kept such a file
// until it settled, it left staging when it completed (the disk sink renamed it into place), and
// a commit made meanwhile (another file before its tail settled) no longer said where it was
// staged from: the restart read only its tail and never rebuilt it.
import { test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertCommittedToEnd, bytes, chunksOf, createTopic, offsets, produce, recordOf, runCli, sha512Hex, uniqueName } from './consumer-support.js';
import { readRecordFile } from '../../bench/faults/oracle.js';
import { STAGING_DIR_NAME } from '../../lib/paths/staging-names.js';
import { tempDir } from '../support/temp-dir.js';

const CHUNK = 2048;
const processor = new URL('../../bench/faults/fault-processor.ts', import.meta.url).pathname;

function processArgs(topic: string, group: string, out: string, mode: string, idleSeconds: number): string[] {
  return ['process', processor, '--topic_name', topic, '--consumer_group_id', group, '--output_dir', out, '--mode', mode, '--until_idle', String(idleSeconds), '--logger_stream_level', 'error'];
}

/** Waits until the group committed past the first `n` records (the journal released them). */
async function committedPast(topic: string, group: string, n: bigint, withinMs: number): Promise<boolean> {
  for (const end = Date.now() + withinMs; Date.now() < end; await sleep(250)) {
    if (((await offsets(topic, group)).committed.get(0) ?? -1n) >= n) return true;
  }
  return false;
}

for (const mode of ['disk', 'memory'] as const) {
  test(`${mode}: SIGKILL while a journaled file is in processing; the restart processes it exactly once`, async (t) => {
    const topic = uniqueName('journaled-crash');
    await createTopic(topic, 1);
    const slow = bytes(10 * CHUNK + 77, 31);
    const quick = bytes(CHUNK / 2, 32);
    const slowPath = 'run/slow.dat';
    const quickPath = 'run/quick.dat';
    const slowRecords = chunksOf(slowPath, slow, CHUNK).map((c) => recordOf(c, 0));
    const head = slowRecords.slice(0, 6);
    const dir = await tempDir(t);
    const out = join(dir, 'out');
    const record = join(dir, 'record.txt');
    const group = uniqueName('g');
    await produce(topic, head);

    // The slow file's first attempt hangs; every other file takes 3 s.
    let child: ChildProcess | undefined;
    const crashed = runCli(processArgs(topic, group, out, mode, 60), {
      env: { RECORD_FILE: record, HANG_ONCE_PATHS: slowPath, SLOW_MS: '3000' },
      onSpawn: (c) => (child = c),
    });
    t.after(() => void child?.kill('SIGKILL'));
    // The default stage-after is 5 s: the head's records are journaled, settled `staged`, committed.
    const released = await committedPast(topic, group, BigInt(head.length), 25_000);
    // Then a quick file, then the slow file's tail: the slow file completes and hangs in
    // processing while the quick one settles and its offset is committed.
    await produce(topic, [...chunksOf(quickPath, quick, CHUNK).map((c) => recordOf(c, 0)), ...slowRecords.slice(head.length)]);
    const quickCommitted = released && (await committedPast(topic, group, BigInt(head.length + 1), 25_000));
    child?.kill('SIGKILL');
    const first = await crashed;
    assert.ok(released, 'the journal released the head of the slow file and its offsets were committed');
    assert.ok(quickCommitted, 'the quick file settled and its offset was committed');
    assert.equal(first.signal, 'SIGKILL', `killed while the slow file was in processing (exit ${first.code}: ${first.stderr.slice(-400)})`);
    assert.deepEqual((await readRecordFile(record)).map((l) => l.path), [quickPath], 'only the quick file was processed before the kill');

    const restarted = await runCli(processArgs(topic, group, out, mode, 2), { env: { RECORD_FILE: record } });
    assert.equal(restarted.code, 0, `restart exits 0: ${restarted.stderr.slice(-400)}`);
    const lines = await readRecordFile(record);
    assert.deepEqual(lines.map((l) => [l.path, l.sha]), [[quickPath, sha512Hex(quick)], [slowPath, sha512Hex(slow)]], 'the slow file processed exactly once, with its bytes');
    if (mode === 'disk') assert.equal(sha512Hex(await readFile(join(out, slowPath))), sha512Hex(slow), 'the slow file is at its final path');
    await assertCommittedToEnd(topic, group);
    assert.equal(existsSync(join(out, STAGING_DIR_NAME)), false, 'the settled file left staging and the journal');
  });
}
