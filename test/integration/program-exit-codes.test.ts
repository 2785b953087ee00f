/**
 * The exit status of the consumer programs, run as users run them: 0 when every file was
 * handled, 4 when files failed in the run (it used to be 0: "4 files processed, 2 failed", exit
 * 0), 130 when stopped by SIGINT after the graceful stop, and a usage error 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chunksOf, createTopic, produce, recordOf } from './consumer-support.js';
import { ROOT, runCli, startCli, uniqueTopic } from './upload-support.js';
import { tempDir } from '../support/temp-dir.js';

const PROCESSOR = join(ROOT, 'bench', 'faults', 'fault-processor.ts');

async function topicWithFiles(t: Parameters<typeof uniqueTopic>[0], names: string[]): Promise<string> {
  const topic = uniqueTopic(t, 't-exit');
  await createTopic(topic, 1);
  await produce(topic, names.flatMap((name) => chunksOf(name, randomBytes(3000 + name.length)).map((c) => recordOf(c))));
  return topic;
}

/** Sets environment variables for the programs this test spawns, removed again after it. */
function withEnv(t: { after: (fn: () => void) => void }, vars: Record<string, string>): void {
  Object.assign(process.env, vars);
  t.after(() => {
    for (const name of Object.keys(vars)) delete process.env[name];
  });
}

function processArgs(topic: string, out: string, extra: string[] = []): string[] {
  return ['process', PROCESSOR, '--topic_name', topic, '--consumer_group_id', `g-${randomUUID()}`, '--output_dir', out, '--until_idle', '1', '--max_attempts', '1', '--logger_stream_level', 'error', ...extra];
}

test('process exits 4 when files failed in the run, 0 when none did', async (t) => {
  const topic = await topicWithFiles(t, ['a.dat', 'b.dat', 'bad.dat']);
  const dir = await tempDir(t);
  withEnv(t, { RECORD_FILE: join(dir, 'record.txt'), POISON_PATHS: 'bad.dat' });
  const failing = await runCli(processArgs(topic, join(dir, 'out1')));
  assert.equal(failing.code, 4, `stdout:\n${failing.stdout}\nstderr:\n${failing.stderr}`);
  assert.match(failing.stdout, /2 files processed, 1 failed/);

  process.env.POISON_PATHS = '';
  const clean = await runCli(processArgs(topic, join(dir, 'out2')));
  assert.equal(clean.code, 0, `stdout:\n${clean.stdout}\nstderr:\n${clean.stderr}`);
  assert.match(clean.stdout, /3 files processed, 0 failed/);
  const recorded = (await readFile(process.env.RECORD_FILE!, 'utf8')).trim().split('\n');
  assert.equal(recorded.length, 5, 'two files in the first run, three in the second');
});

test('process stopped by SIGINT exits 130 after its graceful stop; --update_seconds logs the counts meanwhile', async (t) => {
  const topic = await topicWithFiles(t, ['s1.dat', 's2.dat', 's3.dat', 's4.dat']);
  const dir = await tempDir(t);
  withEnv(t, { RECORD_FILE: join(dir, 'record.txt'), SLOW_MS: '1500' });
  const run = startCli(processArgs(topic, join(dir, 'out'), ['--logger_stream_level', 'info', '--n_threads', '1', '--update_seconds', '1']), { timeoutMs: 60_000 });
  // OpenMSIStream's --update_seconds: the counts are logged that often.
  await run.waitForLine(/messages read: \d+/);
  // Once a file was processed the pipeline (and its signal handling) is surely running.
  while (!existsSync(process.env.RECORD_FILE!)) await new Promise((resolve) => setTimeout(resolve, 100));
  run.kill('SIGINT');
  const result = await run.done;
  assert.equal(result.code, 130, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  assert.match(result.stdout, /stopped by SIGINT/);
});

test('a usage error exits 2, and an OpenMSIStream program name runs its command', async () => {
  const usage = await runCli(['download-directory', '/tmp/x', '--n_threads', '0'], { timeoutMs: 30_000 });
  assert.equal(usage.code, 2, usage.stderr);
  assert.match(usage.stderr, /ERR_INVALID_OPTION: n_threads must be a whole number >= 1, got 0/);
  const alias = await runCli(['DataFileDownloadDirectory', '--help'], { timeoutMs: 30_000 });
  assert.equal(alias.code, 0, alias.stderr);
  assert.match(alias.stdout, /^Usage: datafile-stream download-directory <output_dir>/);
  assert.match(alias.stdout, /Exit status: 0 all handled, 1 could not run, 2 usage error, 4 files failed/);
  const typo = await runCli(['UploadDataFil'], { timeoutMs: 30_000 });
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown command "UploadDataFil" \(did you mean upload-file\?\)/);
});
