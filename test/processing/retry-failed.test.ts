import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import { DownloadDataFile, type ConsumerMode } from '../../lib/download-data-file.js';
import { isCodedError } from '../../lib/errors.js';
import type { FileRef } from '../../lib/pipeline-events.js';
import { FailedFiles } from '../../lib/processing/failed-files.js';
import { retryFailedFiles } from '../../lib/processing/retry-failed.js';
import { FileRegistry } from '../../lib/registry/file-registry.js';
import { silent } from '../support/silent-logger.js';
import { tempDir } from '../support/temp-dir.js';

const GOOD = Buffer.from('time,load\n0,1.5\n1,2.5\n');
const POISON = Buffer.from('time,load\nnot a number\n');

function refOf(relativePath: string, content: Buffer): FileRef {
  const parts = relativePath.split('/');
  const filename = parts.pop()!;
  return {
    key: relativePath, relativePath, subdirStr: parts.join('/'), filename, filenameAppend: '',
    fileHash: sha512(content), nTotalChunks: 1, fileMtime: 1_700_000_000, generation: 0, firstSeenAt: new Date(),
  };
}

/** An output directory whose staging area holds what an earlier run kept as failed. */
async function earlierRun(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, Buffer>) {
  const outputDir = await tempDir(t, 'retry-failed-');
  const failed = new FailedFiles(join(outputDir, '.staging'));
  for (const [path, content] of Object.entries(files)) {
    const ref = refOf(path, content);
    await failed.save(DownloadDataFile.fromRef(ref, { size: content.length, data: content }), ref);
  }
  const registry = await FileRegistry.open({ dir: outputDir, topic: 'files', group: 'g' });
  t.after(() => registry.close());
  return { outputDir, failed, registry };
}

async function retry(mode: ConsumerMode, t: { after: (fn: () => Promise<void>) => void }) {
  const run = await earlierRun(t, { 'tensile/good.csv': GOOD, 'poison.csv': POISON });
  const calls: Array<{ path: string; bytes: string; onDisk: boolean }> = [];
  const failedCalls: string[] = [];
  const result = await retryFailedFiles({
    failed: run.failed,
    registry: run.registry,
    mode,
    outputDir: run.outputDir,
    logger: silent,
    maxAttempts: 2,
    process: async (file) => {
      calls.push({ path: file.relativeFilepath, bytes: (await file.read()).toString(), onDisk: file.fullFilepath !== undefined });
      return file.filename === 'poison.csv' ? new Error('cannot parse') : undefined;
    },
    onFailed: (file, error) => {
      failedCalls.push(`${file.relativeFilepath}: ${error.message}`);
    },
  });
  return { ...run, result, calls, failedCalls };
}

test('disk mode: a kept file is written back to the output tree and processed again; success removes the kept copy', async (t) => {
  const { outputDir, failed, registry, result, calls, failedCalls } = await retry('disk', t);
  assert.deepEqual(result, { retried: 2, succeeded: 1 });
  // Kept entries are listed in name order; each is processed with the bytes that were kept.
  assert.deepEqual(calls.filter((c) => c.path === 'tensile/good.csv'), [{ path: 'tensile/good.csv', bytes: GOOD.toString(), onDisk: true }]);
  assert.equal(calls.filter((c) => c.path === 'poison.csv').length, 2, 'maxAttempts holds on a retry too');
  assert.deepEqual(failedCalls, ['poison.csv: cannot parse']);

  assert.deepEqual(await readFile(join(outputDir, 'tensile/good.csv')), GOOD);
  assert.deepEqual((await failed.list()).map((e) => e.ref.relativePath), ['poison.csv'], 'only the file that failed again stays kept');
  assert.equal(failed.knows('tensile/good.csv', sha512(GOOD)), false);

  assert.equal(registry.isProcessed('tensile/good.csv', sha512(GOOD)), true);
  assert.deepEqual(registry.failedFiles().map((f) => f.relativeFilepath), ['poison.csv']);
});

test('the outcome is durable: a registry opened afterwards reads the processed and failed rows', async (t) => {
  const { outputDir, registry } = await retry('disk', t);
  await registry.close();
  const reopened = await FileRegistry.open({ dir: outputDir, topic: 'files', group: 'g' });
  t.after(() => reopened.close());
  assert.equal(reopened.isProcessed('tensile/good.csv', sha512(GOOD)), true);
  assert.deepEqual(reopened.failedFiles().map((f) => f.relativeFilepath), ['poison.csv']);
});

test('memory mode: the bytes are handed over in memory and nothing is written to the output tree', async (t) => {
  const { outputDir, result, calls } = await retry('memory', t);
  assert.deepEqual(result, { retried: 2, succeeded: 1 });
  assert.ok(calls.every((c) => !c.onDisk), 'no file path in memory mode');
  assert.equal(calls.find((c) => c.path === 'tensile/good.csv')?.bytes, GOOD.toString());
  assert.equal(existsSync(join(outputDir, 'tensile')), false);
  assert.equal(existsSync(join(outputDir, 'poison.csv')), false);
});

test('nothing kept: nothing processed, the counts are zero', async (t) => {
  const run = await earlierRun(t, {});
  let called = 0;
  const result = await retryFailedFiles({
    failed: run.failed, registry: run.registry, mode: 'disk', outputDir: run.outputDir, logger: silent, maxAttempts: 1,
    process: async () => {
      called++;
    },
  });
  assert.deepEqual(result, { retried: 0, succeeded: 0 });
  assert.equal(called, 0);
});

test('a kept entry whose path leaves the output directory is refused with ERR_UNSAFE_PATH, nothing written outside', async (t) => {
  const run = await earlierRun(t, { '../escaped.csv': GOOD });
  await assert.rejects(
    retryFailedFiles({ failed: run.failed, registry: run.registry, mode: 'disk', outputDir: run.outputDir, logger: silent, maxAttempts: 1, process: async () => undefined }),
    (err: unknown) => isCodedError(err) && err.code === 'ERR_UNSAFE_PATH',
  );
  assert.deepEqual((await readdir(join(run.outputDir, '..'))).filter((n) => n === 'escaped.csv'), []);
});
