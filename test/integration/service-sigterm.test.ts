/**
 * What `systemctl stop` does to a service: SIGTERM. download-directory and upload-directory are
 * proven elsewhere (consumer-crash, upload-directory tests); this is `process`: it exits 143,
 * and its final commit covers every file it processed, so a restart with the same group
 * processes exactly the rest, none twice. Real broker, the fault matrix's processor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCommittedToEnd, bytes, chunksOf, createTopic, offsets, produce, recordOf, runCli, uniqueName } from './consumer-support.js';
import { readRecordFile } from '../../bench/faults/oracle.js';
import { tempDir } from '../support/temp-dir.js';

const processor = new URL('../../bench/faults/fault-processor.ts', import.meta.url).pathname;
const FILES = 16;

test('process stopped by SIGTERM exits 143 with its processed files committed; the restart processes exactly the rest', async (t) => {
  const topic = uniqueName('sigterm');
  await createTopic(topic, 1);
  const names = Array.from({ length: FILES }, (_, i) => `run/f${String(i).padStart(2, '0')}.dat`);
  await produce(topic, names.flatMap((name, i) => chunksOf(name, bytes(3000, i + 1), 1024).map((c) => recordOf(c))));
  const dir = await tempDir(t, 'dfs-sigterm-');
  const record = join(dir, 'record.txt');
  const group = uniqueName('g');
  const args = ['process', processor, '--topic_name', topic, '--consumer_group_id', group, '--output_dir', join(dir, 'out'), '--n_threads', '1', '--logger_stream_level', 'error'];

  const stopped = await runCli(args, {
    env: { RECORD_FILE: record, SLOW_MS: '300' },
    onSpawn: (child) => {
      const poll = setInterval(async () => {
        const lines = (await readFile(record, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
        if (lines.length < 3) return;
        clearInterval(poll);
        child.kill('SIGTERM');
      }, 50);
    },
  });
  assert.equal(stopped.code, 143, `exit ${stopped.code ?? stopped.signal}: ${stopped.stderr.slice(-600)}`);
  const first = (await readRecordFile(record)).map((r) => r.path);
  assert.ok(first.length >= 3 && first.length < FILES, `processed ${first.length} files before the stop`);
  const { committed } = await offsets(topic, group);
  assert.ok((committed.get(0) ?? -1n) > 0n, 'the graceful stop made a final commit');

  const rest = await runCli([...args, '--until_idle', '2'], { env: { RECORD_FILE: record } });
  assert.equal(rest.code, 0, rest.stderr.slice(-600));
  const all = (await readRecordFile(record)).map((r) => r.path);
  const second = all.slice(first.length);
  assert.deepEqual(second.filter((p) => first.includes(p)), [], 'no file processed again: the final commit covered every processed file');
  assert.deepEqual([...all].sort(), names, 'no file lost');
  await assertCommittedToEnd(topic, group);
});
