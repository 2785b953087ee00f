// The consumer pipeline end to end against the real broker, in process (runConsumer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runConsumer, type ConsumerRunOptions } from '../../lib/programs/run-consumer.js';
import type { DownloadDataFile } from '../../lib/download-data-file.js';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import {
  assertCommittedToEnd, bytes, chunksOf, createTopic, offsets, produce, recordOf, sha512Hex, silent, treeHashes, uniqueName,
} from './consumer-support.js';
import { prng, shuffle } from '../support/seeded-random.js';
import { tempDir } from '../support/temp-dir.js';

const CHUNK = 4096;
const FILES: Record<string, Buffer> = {
  'top.dat': bytes(3 * CHUNK + 17, 1),
  'a/b/nested.bin': bytes(5 * CHUNK, 2),
  'données/mesure ß.csv': Buffer.from('x,y\n1,2\n'),
  'empty/empty.txt': Buffer.alloc(0),
  'one/exact.bin': bytes(CHUNK, 3),
};

function base(topic: string, group: string, outputDir: string): ConsumerRunOptions {
  return { config: 'local', topic, groupId: group, outputDir, mode: 'memory', logger: silent, untilIdle: 1.5, commitIntervalMs: 200, interactive: false, progress: false };
}

/** Chunks of every file, spread over partitions and interleaved, as OpenMSIStream's producer does. */
function interleaved(files: Record<string, Buffer>, partitions: number, seed: number) {
  const records = Object.entries(files).flatMap(([path, data]) => chunksOf(path, data, CHUNK).map((c) => recordOf(c)));
  const random = prng(seed);
  return shuffle(records, random).map((r) => ({ ...r, partition: Math.floor(random() * partitions) }));
}

const expected = new Map(Object.entries(FILES).map(([p, d]) => [p, sha512Hex(d)]));

test('memory, disk and both modes hand every file over byte for byte; disk mode writes the tree', async (t) => {
  const topic = uniqueName('modes');
  await createTopic(topic, 3);
  await produce(topic, interleaved(FILES, 3, 7));
  for (const mode of ['memory', 'disk', 'both'] as const) {
    const out = await tempDir(t);
    const seen = new Map<string, string>();
    const inMemory: boolean[] = [];
    const summary = await runConsumer({
      ...base(topic, uniqueName(`g-${mode}`), out),
      mode,
      process: async (file: DownloadDataFile) => {
        inMemory.push(file.inMemory);
        seen.set(file.relativeFilepath, sha512Hex(file.bytestring));
        if (mode !== 'memory') assert.ok(file.fullFilepath && existsSync(file.fullFilepath), `${mode}: fullFilepath set`);
      },
    });
    assert.deepEqual(seen, expected, mode);
    assert.equal(summary.filesProcessed, expected.size);
    if (mode === 'memory') assert.ok(inMemory.every(Boolean));
    if (mode === 'disk') assert.ok(inMemory.every((m) => !m), 'disk mode reads lazily');
    if (mode !== 'memory') assert.deepEqual(await treeHashes(out), expected);
    else assert.equal((await treeHashes(out)).size, 0, 'memory mode writes no files');
  }
});

test('four partitions of interleaved, shuffled chunks with duplicates rebuild every file', async (t) => {
  const topic = uniqueName('interleaved');
  await createTopic(topic, 4);
  const records = interleaved(FILES, 4, 11);
  await produce(topic, [...records, ...records.slice(0, 5)]); // some records twice
  const out = await tempDir(t);
  const group = uniqueName('g');
  const seen: string[] = [];
  await runConsumer({ ...base(topic, group, out), mode: 'disk', process: async (f) => void seen.push(f.relativeFilepath) });
  assert.deepEqual(await treeHashes(out), expected);
  assert.equal(seen.length, expected.size, 'each file processed once');
  await assertCommittedToEnd(topic, group);
});

test('a failing file is recorded failed, retried on the next start with --retry_failed; done files are not processed again', async (t) => {
  const topic = uniqueName('retry');
  await createTopic(topic, 2);
  await produce(topic, interleaved(FILES, 2, 3));
  const out = await tempDir(t);
  const group = uniqueName('g');
  const calls = new Map<string, number>();
  const count = (p: string): void => void calls.set(p, (calls.get(p) ?? 0) + 1);
  const first = await runConsumer({
    ...base(topic, group, out),
    maxAttempts: 2,
    process: async (file) => {
      count(file.relativeFilepath);
      if (file.relativeFilepath === 'top.dat') throw new Error('instrument database offline');
    },
  });
  assert.equal(first.filesFailed, 1);
  assert.equal(calls.get('top.dat'), 2, 'two attempts');
  const inProgress = await readFile(join(out, 'LOGS', `consuming_from_${topic}_in_progress_by_${group}.csv`), 'utf8');
  assert.match(inProgress, /top\.dat;top\.dat;failed;4;/);
  await assertCommittedToEnd(topic, group);

  calls.clear();
  const second = await runConsumer({ ...base(topic, group, out), retryFailed: true, process: async (file) => void count(file.relativeFilepath) });
  assert.deepEqual([...calls.keys()], ['top.dat'], 'only the failed file runs again');
  assert.equal(second.recordsRead, 0, 'nothing re-read from Kafka');
  const processed = await readFile(join(out, 'LOGS', `processed_from_${topic}_by_${group}.csv`), 'utf8');
  assert.equal(processed.trim().split('\n').length - 1, expected.size);
  const after = await readFile(join(out, 'LOGS', `consuming_from_${topic}_in_progress_by_${group}.csv`), 'utf8');
  assert.doesNotMatch(after, /top\.dat/);
});

test('a file missing its last chunk does not hold back commits; the chunk sent later completes it after a restart', async (t) => {
  const topic = uniqueName('missing');
  await createTopic(topic, 1);
  const big = bytes(6 * CHUNK + 5, 9);
  const chunks = chunksOf('waiting/big.bin', big, CHUNK);
  const last = chunks.pop()!;
  await produce(topic, [
    ...chunks.map((c) => recordOf(c)),
    ...chunksOf('later/a.txt', Buffer.from('after the incomplete file'), CHUNK).map((c) => recordOf(c)),
    ...chunksOf('later/b.bin', bytes(2 * CHUNK, 4), CHUNK).map((c) => recordOf(c)),
  ]);
  const out = await tempDir(t);
  const group = uniqueName('g');
  const first = await runConsumer({ ...base(topic, group, out), mode: 'disk', stageAfterMs: 200, untilIdle: 2 });
  assert.equal(first.filesProcessed, 2);
  assert.ok(!existsSync(join(out, 'waiting/big.bin')), 'no partial file at its final path');
  await assertCommittedToEnd(topic, group, 'first run: ');

  await produce(topic, [recordOf(last)]);
  const second = await runConsumer({ ...base(topic, group, out), mode: 'disk', stageAfterMs: 200 });
  assert.equal(second.recordsRead, 1, 'only the new record is read');
  assert.equal(second.filesProcessed, 1);
  assert.equal(sha512Hex(await readFile(join(out, 'waiting/big.bin'))), sha512Hex(big));
  await assertCommittedToEnd(topic, group);
});

test('memory mode with a tiny budget spills to staging and still hands over the right bytes', async (t) => {
  const topic = uniqueName('spill');
  await createTopic(topic, 1);
  const big = bytes(40 * CHUNK, 5);
  await produce(topic, chunksOf('big.bin', big, CHUNK).map((c) => recordOf(c)));
  const out = await tempDir(t);
  let sha = '';
  await runConsumer({ ...base(topic, uniqueName('g'), out), memoryBudget: 8 * CHUNK, process: async (f) => void (sha = sha512Hex(await f.read())) });
  assert.equal(sha, sha512Hex(big));
});

test('memory mode holds a file in memory only within the budget less its in-flight share; a file that fits the whole budget but not that share is staged', async (t) => {
  // Budget 64 KiB: a quarter (16 KiB) is kept for records in flight, so files up to 48 KiB are held.
  // One file per topic, so no other file holds the budget when it arrives.
  for (const [name, content, inMemory] of [['held.bin', bytes(12 * CHUNK, 31), true], ['staged.bin', bytes(14 * CHUNK, 32), false]] as const) {
    const topic = uniqueName('share');
    await createTopic(topic, 1);
    await produce(topic, chunksOf(name, content, CHUNK).map((c) => recordOf(c)));
    const out = await tempDir(t);
    const seen: Array<{ inMemory: boolean; sha: string }> = [];
    await runConsumer({ ...base(topic, uniqueName('g'), out), memoryBudget: 16 * CHUNK, process: async (f) => void seen.push({ inMemory: f.inMemory, sha: sha512Hex(await f.read()) }) });
    assert.deepEqual(seen, [{ inMemory, sha: sha512Hex(content) }], name);
  }
});

test('offsets of a topic never go past unfinished work: committed offsets stop before an incomplete file without a journal', async (t) => {
  const topic = uniqueName('pin');
  await createTopic(topic, 1);
  const chunks = chunksOf('partial.bin', bytes(3 * CHUNK, 6), CHUNK);
  await produce(topic, [recordOf(chunks[0]!), recordOf(chunks[1]!), ...chunksOf('done.txt', Buffer.from('ok'), CHUNK).map((c) => recordOf(c))]);
  const out = await tempDir(t);
  // create_new: no journal, so the two chunks of partial.bin must pin offset 0.
  const summary = await runConsumer({ ...base(topic, 'create_new', out), untilIdle: 1.5 });
  assert.equal(summary.filesProcessed, 1);
  const { committed } = await offsets(topic, summary.groupId);
  assert.ok((committed.get(0) ?? -1n) <= 0n, `committed ${committed.get(0)} must not pass the incomplete file`);
});

test('after a restart, the re-read tails of a failed file and a mismatched file are recognised and settled', async (t) => {
  const topic = uniqueName('tails');
  await createTopic(topic, 1);
  const lies = chunksOf('lies.dat', bytes(3 * CHUNK, 21), CHUNK).map((c) => ({ ...c, fileHash: sha512(Buffer.from('not this file')) }));
  const poison = chunksOf('poison.csv', bytes(2 * CHUNK, 22), CHUNK);
  const slow = chunksOf('slow.csv', bytes(2 * CHUNK, 23), CHUNK);
  // One partition: heads, then a file that stays unfinished, then the tails.
  await produce(topic, [lies[0]!, poison[0]!, slow[0]!, lies[1]!, lies[2]!, poison[1]!].map((c) => recordOf(c)));
  const out = await tempDir(t);
  const group = uniqueName('g');
  // A long stageAfterMs: the unfinished file pins offset 2, so the restart re-reads the tails.
  const options = { ...base(topic, group, out), stageAfterMs: 60_000, maxAttempts: 1, process: async (f: DownloadDataFile) => {
    if (f.relativeFilepath === 'poison.csv') throw new Error('poison');
  } };
  const first = await runConsumer(options);
  assert.equal(first.filesFailed, 1);
  assert.equal(first.filesMismatched, 1);
  assert.equal((await offsets(topic, group)).committed.get(0), 2n, 'stops at slow.csv');
  await produce(topic, [recordOf(slow[1]!)]);
  const second = await runConsumer(options);
  assert.equal(second.filesProcessed, 1, 'slow.csv');
  assert.equal(second.filesFailed + second.filesMismatched, 0, 'the tails are not turned into files again');
  await assertCommittedToEnd(topic, group);
});
