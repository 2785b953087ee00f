/**
 * Interop, us -> OpenMSIStream (issue 5, test 2): our `upload-directory` sends a tree (nested
 * directories, unicode names, multi-chunk files, a file of exactly N chunks, an empty file) and
 * the real Python `DataFileDownloadDirectory` rebuilds it byte for byte:
 *  - 10-field chunks (our default) into openmsistream 1.8.8 (.venv);
 *  - 9-field chunks (`--legacy`) into openmsistream 1.8.6 (.venv-legacy), which accepts only 9
 *    fields. As a control, 1.8.6 is also pointed at the same tree sent without `--legacy`: it
 *    rejects every value ("Expected 9 properties but found 10") and rebuilds nothing.
 *
 * Empty files: OpenMSIStream's own uploaders send nothing for an empty file; ours sends one chunk
 * with empty data (n_total_chunks 1, both hashes = SHA-512 of nothing). Observed behaviour of
 * OpenMSIStream's DataFileDownloadDirectory (1.8.8 and 1.8.6) for that chunk: it accepts it,
 * creates the file with 0 bytes at its relative path, and counts it among the "files
 * successfully reconstructed" in its summary. The tests assert exactly that.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  CHUNK_SIZE,
  SHIPPED_CONFIG,
  Scope,
  assertRunning,
  expectedKeys,
  fieldCount,
  hashTree,
  readRecords,
  recordCount,
  sha512,
  sorted,
  totalChunks,
  treeHas,
  waitFor,
  writeTree,
  type Program,
} from './helpers.js';

const EMPTY = 'nested/empty.dat';
const TREE: Record<string, number> = {
  'top.txt': 12,
  'multi.bin': 6 * CHUNK_SIZE + 4321,
  'exact/four-chunks.raw': 4 * CHUNK_SIZE, // exactly 4 chunks
  'nested/deeper/still/leaf.dat': 2 * CHUNK_SIZE + 1,
  'ünïcödé dir/файл данных.bin': CHUNK_SIZE + 5,
  '中文/样品 #1 (copy).dat': 300,
  [EMPTY]: 0,
};

/** The "N files were successfully reconstructed" count in DataFileDownloadDirectory's summary. */
function reconstructedCount(program: Program): number | undefined {
  const match = /(\d+) files? (?:was|were) successfully reconstructed/.exec(program.output);
  return match ? Number(match[1]) : undefined;
}

async function uploadTree(scope: Scope, upDir: string, topic: string, legacy: boolean): Promise<void> {
  const args = ['upload-directory', upDir, '--config', SHIPPED_CONFIG, '--topic_name', topic, '--chunk_size', String(CHUNK_SIZE), '--upload_existing', '--until_idle', '2'];
  if (legacy) args.push('--legacy');
  await scope.ours(args).succeeds(120_000);
  const total = totalChunks(TREE, 1);
  assert.equal(await recordCount(topic), total, 'one record per chunk, one for the empty file');
  const records = await readRecords(topic, total);
  assert.deepEqual(
    records.map((r) => r.key).sort(),
    expectedKeys(TREE, 1),
    'OpenMSIStream key strings',
  );
  const fields = legacy ? 9 : 10;
  assert.ok(
    records.every((r) => fieldCount(r.value) === fields),
    `${legacy ? '--legacy' : 'default'} output has ${fields}-field values`,
  );
}

/** Runs DataFileDownloadDirectory until every expected file is there with its hash, then types q. */
async function openmsistreamRebuilds(program: Program, outDir: string, expected: Map<string, string>): Promise<void> {
  await waitFor(
    () => `OpenMSIStream to rebuild ${expected.size} files in ${outDir} (output:\n${program.tail()})`,
    async () => {
      assertRunning(program);
      return treeHas(outDir, expected);
    },
    150_000,
  );
  await program.quitAndWait(90_000);
  assert.deepEqual(sorted(await hashTree(outDir)), sorted(expected), `DataFileDownloadDirectory rebuilt the tree byte for byte\n${program.tail()}`);
  assert.equal(reconstructedCount(program), expected.size, `it counts every file, the empty one included, as reconstructed\n${program.tail()}`);
}

test('our upload-directory (10 fields) -> OpenMSIStream 1.8.8 DataFileDownloadDirectory rebuilds the tree, empty file included', { timeout: 300_000 }, async (t) => {
  const scope = new Scope(t);
  const work = await scope.tempDir('ours-to-py');
  const upDir = join(work, 'upload');
  const outDir = join(work, 'download');
  const expected = await writeTree(upDir, TREE);
  assert.equal(expected.get(EMPTY), sha512(Buffer.alloc(0)));
  const topic = await scope.topic('ours-to-py', 3);

  await uploadTree(scope, upDir, topic, false);
  const download = scope.python('DataFileDownloadDirectory', [outDir, '--config', SHIPPED_CONFIG, '--topic_name', topic]);
  await openmsistreamRebuilds(download, outDir, expected);
});

test('our upload-directory --legacy (9 fields) -> OpenMSIStream 1.8.6 rebuilds the tree; without --legacy 1.8.6 rebuilds nothing', { timeout: 300_000 }, async (t) => {
  const scope = new Scope(t);
  const work = await scope.tempDir('ours-to-legacy');
  const upDir = join(work, 'upload');
  const legacyOut = join(work, 'download-legacy');
  const controlOut = join(work, 'download-control');
  const expected = await writeTree(upDir, TREE);
  const [legacyTopic, controlTopic] = await Promise.all([scope.topic('ours-to-legacy', 3), scope.topic('ours-to-legacy-control', 3)]);

  await Promise.all([uploadTree(scope, upDir, legacyTopic, true), uploadTree(scope, upDir, controlTopic, false)]);
  const legacy = scope.python('DataFileDownloadDirectory', [legacyOut, '--config', SHIPPED_CONFIG, '--topic_name', legacyTopic], 'legacy');
  const control = scope.python('DataFileDownloadDirectory', [controlOut, '--config', SHIPPED_CONFIG, '--topic_name', controlTopic], 'legacy');

  await Promise.all([
    openmsistreamRebuilds(legacy, legacyOut, expected),
    (async () => {
      await waitFor(
        () => `OpenMSIStream 1.8.6 to reject a 10-field chunk (output:\n${control.tail()})`,
        () => /Expected 9 properties but found 10/.test(control.output),
        150_000,
      );
      control.quit();
      await control.waitExit(90_000);
    })(),
  ]);
  assert.deepEqual(sorted(await hashTree(controlOut)), [], '1.8.6 rebuilt nothing from 10-field chunks');
});
