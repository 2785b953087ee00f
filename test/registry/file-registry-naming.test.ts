/**
 * A program may name the registry's processed table and the status a failure is recorded with
 * (a reproducer: OpenMSIStream's results_produced_to_<topic>.csv and computing_result_message_failed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileRegistry } from '../../lib/registry/file-registry.js';
import { tempDir } from '../support/temp-dir.js';

const hash = (s: string): Buffer => createHash('sha512').update(s).digest();

test('processedName and failedStatus change the table and the failure status, and survive reopening', async (t) => {
  const dir = await tempDir(t, 'registry-naming-');
  const options = {
    dir, topic: 'chunks', group: 'g1',
    processedName: 'results_produced_to_results.csv',
    failedStatus: (reason: string | Error | undefined) => (reason instanceof Error && 'code' in reason ? 'computing_result_message_failed' : 'failed'),
  };
  const registry = await FileRegistry.open(options);
  registry.markProcessed({ filename: 'a.csv', relativeFilepath: 'sub/a.csv', nTotalChunks: 2, fileHash: hash('a') });
  registry.markFailed({ filename: 'b.csv', relativeFilepath: 'b.csv', nTotalChunks: 1 }, Object.assign(new Error('no result'), { code: 'ERR_RESULT_NOT_COMPUTED' }));
  registry.markFailed({ filename: 'c.csv', relativeFilepath: 'c.csv', nTotalChunks: 1 }, 'plain');
  await registry.close();

  const results = await readFile(join(dir, 'LOGS', 'results_produced_to_results.csv'), 'utf8');
  assert.match(results, /^filename;rel_filepath;n_chunks;first_message;processed_at;file_hash\n/);
  assert.match(results, /\na\.csv;sub\/a\.csv;2;/);
  const inProgress = await readFile(join(dir, 'LOGS', 'consuming_from_chunks_in_progress_by_g1.csv'), 'utf8');
  assert.match(inProgress, /\nb\.csv;b\.csv;computing_result_message_failed;1;/);
  assert.match(inProgress, /\nc\.csv;c\.csv;failed;1;/);

  const reopened = await FileRegistry.open(options);
  t.after(() => reopened.close());
  assert.equal(reopened.isProcessed('sub/a.csv', hash('a')), true);
  assert.deepEqual(reopened.inProgressFiles().map((e) => [e.relativeFilepath, e.status]).sort(), [['b.csv', 'computing_result_message_failed'], ['c.csv', 'failed']]);
  await assert.rejects(FileRegistry.open({ ...options, processedName: '../escape.csv' }), { code: 'ERR_INVALID_ARGUMENT' });
});
