/**
 * Interop (issue 5, test 4): a Python `DataFileStreamProcessor` subclass written against
 * openmsistream's API (scripts/interop/sha_recorder.py) and our TS processor
 * (fixtures/sha-recorder.ts, run by `datafile-stream process`) consume the same topic under
 * different consumer groups, at the same time, and record identical (relative path, SHA-512)
 * sets, equal to what was uploaded.
 *
 * The topic holds chunks from both producers: our `upload-directory` (a tree with nested and
 * unicode paths, multi-chunk files, a file of exactly N chunks and an empty file, which ours sends
 * as one empty chunk) and OpenMSIStream's `UploadDataFile` (one multi-chunk file, whose chunks
 * its partitioner spreads over the topic's partitions).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  CHUNK_SIZE,
  SHA_RECORDER_PY,
  SHA_RECORDER_TS,
  SHIPPED_CONFIG,
  Scope,
  assertRunning,
  countLines,
  readShaRecords,
  recordCount,
  sorted,
  totalChunks,
  waitFor,
  writeTree,
} from './helpers.js';

const TREE: Record<string, number> = {
  'run-001/summary.txt': 2048,
  'run-001/images/frame 0001.tif': 5 * CHUNK_SIZE + 3,
  'run-001/images/frame 0002.tif': 2 * CHUNK_SIZE, // exactly 2 chunks
  'Probe µ-XRD/Ångström scan.dat': CHUNK_SIZE + CHUNK_SIZE / 4,
  'run-001/empty marker.flag': 0,
};
const SINGLE = 'python-upload.bin';
const SINGLE_SIZE = 6 * CHUNK_SIZE + 17;

test('a Python DataFileStreamProcessor and our TS processor record identical (path, SHA-512) sets from one topic', { timeout: 300_000 }, async (t) => {
  const scope = new Scope(t);
  const work = await scope.tempDir('processors');
  const upDir = join(work, 'upload');
  const singleDir = join(work, 'single');
  const expected = new Map([...(await writeTree(upDir, TREE)), ...(await writeTree(singleDir, { [SINGLE]: SINGLE_SIZE }))]);
  const topic = await scope.topic('processors', 3);
  const common = ['--config', SHIPPED_CONFIG, '--topic_name', topic];

  await Promise.all([
    scope.ours(['upload-directory', upDir, ...common, '--chunk_size', String(CHUNK_SIZE), '--upload_existing', '--until_idle', '2']).succeeds(120_000),
    scope.python('UploadDataFile', [join(singleDir, SINGLE), ...common, '--chunk_size', String(CHUNK_SIZE)]).succeeds(90_000),
  ]);
  assert.equal(await recordCount(topic), totalChunks(TREE, 1) + totalChunks({ [SINGLE]: SINGLE_SIZE }, 0));

  const suffix = randomBytes(4).toString('hex');
  const pyDir = join(work, 'python-processor');
  const tsDir = join(work, 'ts-processor');
  const pyRecords = join(pyDir, 'sha_records.txt');
  const tsRecords = join(tsDir, 'sha_records.txt');
  const python = scope.python(SHA_RECORDER_PY, [...common, '--consumer_group_id', `interop-py-${suffix}`, '--output_dir', pyDir]);
  const ours = scope.ours(['process', SHA_RECORDER_TS, ...common, '--consumer_group_id', `interop-ts-${suffix}`, '--output_dir', tsDir, '--until_idle', '3']);

  await Promise.all([
    ours.succeeds(120_000),
    (async () => {
      await waitFor(
        () => `the Python processor to record ${expected.size} files (output:\n${python.tail()})`,
        async () => {
          assertRunning(python);
          return (await countLines(pyRecords)) >= expected.size;
        },
        150_000,
      );
      await python.quitAndWait(90_000);
    })(),
  ]);

  const fromPython = await readShaRecords(pyRecords);
  const fromOurs = await readShaRecords(tsRecords);
  assert.deepEqual(sorted(fromOurs), sorted(fromPython), 'both processors recorded the same (path, SHA-512) set');
  assert.deepEqual(sorted(fromOurs), sorted(expected), `and it is what was uploaded\n${ours.tail()}\n${python.tail()}`);
  assert.match(python.output, new RegExp(`ShaRecorder: \\d+ messages read, \\d+ processed, ${expected.size} files recorded`));
});
