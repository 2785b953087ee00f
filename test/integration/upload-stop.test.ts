/**
 * Integration: Ctrl-C during `upload-directory` of a few hundred files, against the real broker.
 * The stop is ordered: no new file is started, the files in flight finish or are left for the
 * next run, and only then are the producer and the registry closed. So the run ends with exit
 * 130 and no error lines (before the fix the registry was closed under the uploads still
 * starting, which logged hundreds of ERR_REGISTRY_IO errors and exited 0), and a restart sends
 * the rest: every file reaches the topic and the registry lists them all. A second SIGINT exits
 * at once with 130.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { assertExit, assertSameTree, logLines, readTopic, readTree, rebuildFiles, runCli, startCli, uniqueTopic } from './upload-support.js';

const CHUNK = 4096;
const N_FILES = 300;

async function manyFiles(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'upload-stop-it-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (let i = 0; i < N_FILES; i++) {
    const dir = join(root, `d${i % 10}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${String(i).padStart(3, '0')}.bin`), randomBytes(6 * CHUNK + (i % 7)));
  }
  return root;
}

test('upload-directory stopped by SIGINT mid-upload: exit 130, no error lines, and a restart sends the rest', async (t) => {
  const root = await manyFiles(t);
  const expected = await readTree(root);
  const topic = uniqueTopic(t);
  const args = ['upload-directory', root, '--topic_name', topic, '--chunk_size', String(CHUNK), '--upload_existing'];

  const cli = startCli(args);
  t.after(() => cli.kill());
  await cli.waitForLine(/"msg":"uploaded"/);
  cli.kill('SIGINT');
  const stopped = await cli.done;
  assertExit(stopped, 130);
  const lines = logLines(stopped.stderr);
  const errors = lines.filter((l) => Number(l.level) >= 50);
  assert.deepEqual(errors, [], 'no error lines after the stop');
  assert.ok(!stopped.stderr.includes('ERR_REGISTRY_IO'), stopped.stderr);
  assert.ok(!lines.some((l) => /will retry/.test(String(l.msg))), 'no upload was cut off by a closed producer');
  const finished = lines.find((l) => l.msg === 'upload-directory finished');
  assert.ok(finished, 'the run says it finished');
  assert.equal(lines.at(-1), finished, 'nothing is logged after the summary');
  const firstRun = lines.filter((l) => l.msg === 'uploaded').length;
  assert.ok(firstRun < N_FILES, `the stop came mid-upload (${firstRun} of ${N_FILES} files sent)`);

  const restart = await runCli([...args, '--until_idle', '1']);
  assertExit(restart, 0);
  const secondRun = logLines(restart.stderr).filter((l) => l.msg === 'uploaded').length;
  assert.ok(secondRun <= N_FILES - firstRun, `the restart sends only what was missing (${secondRun} after ${firstRun})`);
  const { records } = await readTopic(topic);
  assertSameTree(rebuildFiles(records), expected);
  const rows = parse(await readFile(join(root, 'LOGS', `uploaded_to_${topic}.csv`), 'utf8'), { delimiter: ';', columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  assert.deepEqual([...new Set(rows.map((r) => r.rel_filepath))].sort(), [...expected.keys()].sort(), 'the registry lists every file');
});

test('upload-directory: a second SIGINT exits at once with 130', async (t) => {
  const root = await manyFiles(t);
  const topic = uniqueTopic(t);
  const cli = startCli(['upload-directory', root, '--topic_name', topic, '--chunk_size', String(CHUNK), '--upload_existing']);
  t.after(() => cli.kill());
  await cli.waitForLine(/"msg":"uploaded"/);
  cli.kill('SIGINT');
  await cli.waitForLine(/stopping/);
  const second = Date.now();
  cli.kill('SIGINT');
  const result = await cli.done;
  assertExit(result, 130);
  assert.ok(Date.now() - second < 2000, `exited ${Date.now() - second} ms after the second SIGINT`);
});
