/**
 * Interop, OpenMSIStream -> us (issue 5, test 1): the real Python `openmsistream` 1.8.8 uploads
 * with `DataFileUploadDirectory` (a tree: nested directories, unicode names, multi-chunk files,
 * a file of exactly N chunks) and `UploadDataFile` (a multi-chunk file, a file of exactly N
 * chunks, and a file in OpenMSIStream's default 512 KiB chunks, as production sends them) to one
 * 3-partition topic, and openmsistream 1.8.6's UploadDataFile
 * adds a file in 9-field chunks; our `download-directory` and a `process` run of a small TS
 * processor (fixtures/sha-recorder.ts) rebuild / see every file byte for byte.
 *
 * OpenMSIStream produces with librdkafka's default partitioner and a per-chunk key, so one
 * file's chunks land on several partitions; the test checks that they did, and that our single
 * consumer process still rebuilds every file. OpenMSIStream sends nothing at all for an empty
 * file (it is left out of the topic and never appears on our side); the test checks that too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import {
  CHUNK_SIZE,
  DEFAULT_CHUNK_SIZE,
  SHIPPED_CONFIG,
  SHA_RECORDER_TS,
  Scope,
  assertRunning,
  expectedKeys,
  fieldCount,
  hashTree,
  readRecords,
  readShaRecords,
  recordCount,
  sorted,
  totalChunks,
  waitFor,
  writeTree,
} from './helpers.js';

/** The tree DataFileUploadDirectory watches (relative path -> size). */
const TREE: Record<string, number> = {
  'top.dat': 1000,
  'one-byte.bin': 1,
  'a/b/c/deep.bin': 5 * CHUNK_SIZE + CHUNK_SIZE / 2,
  'données/naïve résumé ü.txt': 3 * CHUNK_SIZE + 1,
  '日本語/データ/測定.raw': 4 * CHUNK_SIZE, // exactly 4 chunks
  'a/Ελληνικά αρχεία/δείγμα-1.csv': 2 * CHUNK_SIZE + 77,
};
/** An empty file in the tree: OpenMSIStream uploads nothing for it. */
const EMPTY = 'empty.dat';
/** Files sent one by one with UploadDataFile (they land at the root: subdir_str ""). */
const SINGLES: Record<string, number> = {
  'single-multi.bin': 7 * CHUNK_SIZE + 100,
  'single-exact.bin': 3 * CHUNK_SIZE, // exactly 3 chunks
};
/** Sent with UploadDataFile's default chunk size (no --chunk_size). */
const DEFAULT_CHUNKED: Record<string, number> = { 'single-default-chunks.bin': 2 * DEFAULT_CHUNK_SIZE + 1000 };
/** Sent with openmsistream 1.8.6's UploadDataFile: 9-field chunks. */
const LEGACY: Record<string, number> = { 'single-legacy-1.8.6.bin': 2 * CHUNK_SIZE + 5 };

test('OpenMSIStream UploadDataFile + DataFileUploadDirectory -> our download-directory and process rebuild every file', { timeout: 300_000 }, async (t) => {
  const scope = new Scope(t);
  const work = await scope.tempDir('py-to-ours');
  const upDir = join(work, 'upload');
  const singlesDir = join(work, 'singles');
  const outDir = join(work, 'download');
  const procDir = join(work, 'process');
  await mkdir(upDir);
  const expected = new Map([
    ...(await writeTree(upDir, TREE)),
    ...(await writeTree(singlesDir, { ...SINGLES, ...DEFAULT_CHUNKED, ...LEGACY })),
  ]);
  await writeTree(upDir, { [EMPTY]: 0 });
  const topic = await scope.topic('py-to-ours', 3);
  const common = ['--config', SHIPPED_CONFIG, '--topic_name', topic, '--chunk_size', String(CHUNK_SIZE)];

  // --- OpenMSIStream uploads: the directory uploader runs until `q`; UploadDataFile exits.
  const uploader = scope.python('DataFileUploadDirectory', [upDir, ...common, '--upload_existing']);
  const singles = [
    ...Object.keys(SINGLES).map((name) => scope.python('UploadDataFile', [join(singlesDir, name), ...common])),
    ...Object.keys(DEFAULT_CHUNKED).map((name) => scope.python('UploadDataFile', [join(singlesDir, name), '--config', SHIPPED_CONFIG, '--topic_name', topic])),
    ...Object.keys(LEGACY).map((name) => scope.python('UploadDataFile', [join(singlesDir, name), ...common], 'legacy')),
  ];
  await Promise.all(singles.map((p) => p.succeeds(90_000)));
  const allFiles = { ...TREE, ...SINGLES, ...LEGACY };
  const total = totalChunks(allFiles, 0) + totalChunks(DEFAULT_CHUNKED, 0, DEFAULT_CHUNK_SIZE);
  await waitFor(
    () => `${total} chunk records in ${topic} (uploader output:\n${uploader.tail()})`,
    async () => {
      assertRunning(uploader);
      return (await recordCount(topic)) >= total;
    },
    120_000,
  );
  await uploader.quitAndWait(90_000);
  assert.equal(await recordCount(topic), total, 'nothing beyond the expected chunks (no record for the empty file)');

  // --- what is on the wire: OpenMSIStream's keys, 10-field values, a file spread over partitions
  const records = await readRecords(topic, total);
  assert.deepEqual(
    records.map((r) => r.key).sort(),
    [...expectedKeys(allFiles, 0), ...expectedKeys(DEFAULT_CHUNKED, 0, DEFAULT_CHUNK_SIZE)].sort(),
    'record keys are {subdir with _}_{name}_chunk_{i}_of_{n}; the empty file has none',
  );
  for (const r of records) {
    const legacy = Object.keys(LEGACY).some((name) => r.key.startsWith(`_${name}_chunk_`));
    assert.equal(fieldCount(r.value), legacy ? 9 : 10, `${r.key}: openmsistream ${legacy ? '1.8.6 writes 9' : '1.8.8 writes 10'} fields`);
  }
  const partitionsByFile = new Map<string, Set<number>>();
  for (const r of records) {
    const file = r.key.slice(0, r.key.lastIndexOf('_chunk_'));
    partitionsByFile.set(file, (partitionsByFile.get(file) ?? new Set()).add(r.partition));
  }
  const spread = [...partitionsByFile].filter(([, parts]) => parts.size > 1).map(([file]) => file);
  assert.ok(spread.length > 0, `some file's chunks are spread over several partitions (partitions by file: ${JSON.stringify([...partitionsByFile].map(([f, p]) => [f, [...p]]))})`);

  // --- our side: download-directory and a TS processor, each one consumer process, at once
  const download = scope.ours(['download-directory', outDir, '--config', SHIPPED_CONFIG, '--topic_name', topic, '--until_idle', '3']);
  const recordFile = join(procDir, 'sha_records.txt');
  const processor = scope.ours(['process', SHA_RECORDER_TS, '--config', SHIPPED_CONFIG, '--topic_name', topic, '--output_dir', procDir, '--record_file', recordFile, '--until_idle', '3']);
  await Promise.all([download.succeeds(120_000), processor.succeeds(120_000)]);

  const rebuilt = await hashTree(outDir);
  assert.deepEqual(sorted(rebuilt), sorted(expected), `download-directory rebuilt every file byte for byte, and no ${EMPTY}\n${download.tail()}`);
  assert.deepEqual(sorted(await readShaRecords(recordFile)), sorted(expected), `the processor saw every file once with the right bytes\n${processor.tail()}`);
});
