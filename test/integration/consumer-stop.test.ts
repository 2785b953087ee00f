// Stopping the consumer: only the files in processing finish; the read-ahead is left, uncommitted,
// to the next run, which processes exactly the rest. Real broker, in process (runConsumer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConsumer, type ConsumerRunOptions } from '../../lib/programs/run-consumer.js';
import { STAGING_DIR_NAME } from '../../lib/sinks/disk-sink.js';
import { assertCommittedToEnd, bytes, chunksOf, createTopic, produce, recordOf, silent, uniqueName } from './consumer-support.js';

const FILES = 60;
const PER_FILE_MS = 200;

test('a stop finishes only the files in processing, at once; the next run processes exactly the rest', async (t) => {
  const topic = uniqueName('stop');
  await createTopic(topic, 1);
  const names = Array.from({ length: FILES }, (_, i) => `run/f${String(i).padStart(2, '0')}.dat`);
  await produce(topic, names.flatMap((name, i) => chunksOf(name, bytes(3000, i + 1), 1024).map((c) => recordOf(c))));
  const out = await mkdtemp(join(tmpdir(), 'consumer-stop-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const group = uniqueName('g');
  const base: ConsumerRunOptions = { config: 'local', topic, groupId: group, outputDir: out, mode: 'disk', logger: silent, nThreads: 2, commitIntervalMs: 200, interactive: false, progress: false };

  const first: string[] = [];
  const stopper = new AbortController();
  let stoppedAt = 0;
  const summary = await runConsumer({
    ...base,
    signal: stopper.signal,
    process: async (file) => {
      await new Promise((resolve) => setTimeout(resolve, PER_FILE_MS));
      first.push(file.relativeFilepath);
      if (first.length === 4 && stoppedAt === 0) {
        stoppedAt = Date.now();
        stopper.abort();
      }
      return undefined;
    },
  });
  const stopMs = Date.now() - stoppedAt;
  assert.equal(summary.stoppedBy, 'aborted');
  assert.ok(stopMs < 2000, `the run ended ${stopMs} ms after the stop (old behaviour: the whole read-ahead was processed)`);
  // 4 processed when stopped, plus at most the other file in processing then (nThreads 2).
  assert.ok(first.length >= 4 && first.length <= 5, `processed ${first.length} files in the stopped run`);
  assert.equal(summary.filesProcessed, first.length);

  const second: string[] = [];
  const rest = await runConsumer({ ...base, untilIdle: 1, process: async (file) => void second.push(file.relativeFilepath) });
  assert.equal(rest.filesProcessed, FILES - first.length);
  assert.deepEqual(second.filter((p) => first.includes(p)), [], 'no file processed twice');
  assert.deepEqual([...first, ...second].sort(), names, 'no file lost');
  await assertCommittedToEnd(topic, group);
  assert.equal(existsSync(join(out, STAGING_DIR_NAME)), false, 'a clean run leaves no staging directory');
});
