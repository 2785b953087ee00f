/**
 * The upload-file and upload-directory command lines, run as child processes, without a broker:
 * every check here must fail before anything connects, so the commands are pointed at a config
 * whose broker (127.0.0.1:1) refuses connections — a command that connected first would report a
 * Kafka error instead, or hang. `--help` prints usage and exits 0; unknown flags, a chunk size
 * that is not a power of two and other bad arguments exit 1 with a coded one-line message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../../integration/upload-support.js';

async function setup(t: { after: (fn: () => Promise<void>) => void }): Promise<{ dir: string; file: string; dead: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'upload-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'data.bin');
  await writeFile(file, 'some bytes');
  const dead = join(dir, 'dead.ini');
  await writeFile(dead, '[broker]\nbootstrap.servers = 127.0.0.1:1\n\n[producer]\nmessage.send.max.retries = 0\n');
  return { dir, file, dead };
}

function assertUsageError(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 2, `exit ${result.code}\nstderr:\n${result.stderr}`);
  assert.equal(result.stdout, '');
  const last = result.stderr.trim().split('\n').at(-1)!;
  assert.match(last, /^datafile-stream upload-(file|directory): ERR_INVALID_(ARGUMENT|OPTION): /);
  assert.match(last, pattern);
}

const CLI_TIMEOUT = { timeoutMs: 30_000 };

test('--help of upload-file and upload-directory prints usage and exits 0', async () => {
  const [file, dir] = await Promise.all([runCli(['upload-file', '--help'], CLI_TIMEOUT), runCli(['upload-directory', '--help'], CLI_TIMEOUT)]);
  for (const result of [file, dir]) {
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    for (const flag of ['--config', '--topic_name', '--chunk_size', '--n_threads', '--logger_stream_level']) assert.ok(result.stdout.includes(flag), `help names ${flag}`);
    assert.match(result.stdout, /kebab-case/);
  }
  assert.match(file.stdout, /^Usage: datafile-stream upload-file <filepath>/);
  assert.match(dir.stdout, /^Usage: datafile-stream upload-directory <upload_dir>/);
  for (const flag of ['--upload_existing', '--upload_regex', '--watchdog_lag_time', '--until_idle']) assert.ok(dir.stdout.includes(flag), `help names ${flag}`);
  assert.match(file.stdout, /\[default: 524288\]/);
});

test('an unknown flag exits 2 (usage) naming it, in snake_case and kebab-case', async (t) => {
  const { dir, file, dead } = await setup(t);
  const results = await Promise.all([
    runCli(['upload-file', file, '--config', dead, '--bogus'], CLI_TIMEOUT),
    runCli(['upload-directory', dir, '--config', dead, '--upload-everything'], CLI_TIMEOUT),
    runCli(['upload-file', file, '--config', dead, '--topic_nam', 'x'], CLI_TIMEOUT),
  ]);
  assertUsageError(results[0]!, /unknown option --bogus/);
  assertUsageError(results[1]!, /unknown option --upload-everything/);
  assertUsageError(results[2]!, /unknown option --topic_nam\b/);
});

test('a chunk size that is not a power of two exits 2 (usage) with a coded error', async (t) => {
  const { dir, file, dead } = await setup(t);
  const results = await Promise.all([
    runCli(['upload-file', file, '--config', dead, '--chunk_size', '1000'], CLI_TIMEOUT),
    runCli(['upload-file', file, '--config', dead, '--chunk-size', '0'], CLI_TIMEOUT),
    runCli(['upload-directory', dir, '--config', dead, '--chunk-size', '3000'], CLI_TIMEOUT),
    runCli(['upload-file', file, '--config', dead, '--chunk_size', 'lots'], CLI_TIMEOUT),
  ]);
  assertUsageError(results[0]!, /ERR_INVALID_OPTION: chunk_size must be a power of two.*got 1000/);
  assertUsageError(results[1]!, /ERR_INVALID_OPTION: chunk_size must be a power of two.*got 0/);
  assertUsageError(results[2]!, /ERR_INVALID_OPTION: chunk_size must be a power of two.*got 3000/);
  assertUsageError(results[3]!, /--chunk_size must be a number, got "lots"/);
  assert.equal(existsSync(join(dir, 'LOGS')), false, 'nothing was written into the upload directory');
});

test('other bad arguments fail before connecting, without leaving the process hanging', async (t) => {
  const { dir, file, dead } = await setup(t);
  const results = await Promise.all([
    runCli(['upload-directory', dir, '--config', dead, '--n_threads', '0'], CLI_TIMEOUT),
    runCli(['upload-file', file, '--config', dead, '--queue_max_size', '0'], CLI_TIMEOUT),
    runCli(['upload-directory', dir, '--config', dead, '--watchdog_lag_time=-1'], CLI_TIMEOUT),
    runCli(['upload-directory', dir, '--config', dead, '--until_idle=-5'], CLI_TIMEOUT),
    runCli(['upload-file', file, '--config', dead, '--topic_name', ''], CLI_TIMEOUT),
    runCli(['upload-directory', dir, '--config', dead, '--topic-name', 'no spaces allowed'], CLI_TIMEOUT),
    runCli(['upload-directory', dir, '--config', dead, '--upload_regex', '(unclosed'], CLI_TIMEOUT),
  ]);
  assertUsageError(results[0]!, /ERR_INVALID_OPTION: n_threads must be a whole number >= 1, got 0/);
  assertUsageError(results[1]!, /ERR_INVALID_OPTION: queue_max_size must be a whole number of MiB >= 1, got 0/);
  assertUsageError(results[2]!, /ERR_INVALID_OPTION: watchdog_lag_time .*got -1/);
  assertUsageError(results[3]!, /--until_idle .*got -5/);
  assertUsageError(results[4]!, /--topic_name/);
  assertUsageError(results[5]!, /--topic_name .*"no spaces allowed"/);
  assertUsageError(results[6]!, /--upload_regex is not a valid regular expression/);
  assert.equal(existsSync(join(dir, 'LOGS')), false, 'nothing was written into the upload directory');
});

test('numbers as users type them: a negative value after a space, a fraction, a repeated flag (the last wins)', async (t) => {
  const { file, dead } = await setup(t);
  const results = await Promise.all([
    runCli(['upload-file', file, '--config', dead, '--n_threads', '-3'], CLI_TIMEOUT),
    runCli(['upload-file', file, '--config', dead, '--n_threads', '2.5'], CLI_TIMEOUT),
    runCli(['upload-file', file, '--config', dead, '--n_threads', '4', '--n_threads', '0'], CLI_TIMEOUT),
    runCli(['upload-file', file, '--config', dead, '--logger_stream_level', 'verbose'], CLI_TIMEOUT),
    runCli(['upload-file', file, '--config', dead, '--topic', 'x'], CLI_TIMEOUT),
  ]);
  assertUsageError(results[0]!, /ERR_INVALID_OPTION: n_threads must be a whole number >= 1, got -3/);
  assertUsageError(results[1]!, /ERR_INVALID_OPTION: n_threads must be a whole number >= 1, got 2.5/);
  assertUsageError(results[2]!, /ERR_INVALID_OPTION: n_threads must be a whole number >= 1, got 0/);
  assertUsageError(results[3]!, /--logger_stream_level must be one of .*"verbose"/);
  assertUsageError(results[4]!, /unknown option --topic; did you mean --topic_name\?/);
});

test('a missing file, a directory given to upload-file, a file given to upload-directory: exit 2 naming the path', async (t) => {
  const { dir, file, dead } = await setup(t);
  const missing = join(dir, 'not-here.bin');
  const results = await Promise.all([
    runCli(['upload-file', missing, '--config', dead], CLI_TIMEOUT),
    runCli(['upload-file', dir, '--config', dead], CLI_TIMEOUT),
    runCli(['upload-directory', file, '--config', dead], CLI_TIMEOUT),
    runCli(['upload-file', '--config', dead], CLI_TIMEOUT),
  ]);
  assertUsageError(results[0]!, new RegExp(`${missing} does not exist`));
  assertUsageError(results[1]!, new RegExp(`${dir} is not a regular file`));
  assertUsageError(results[2]!, new RegExp(`${file} is not a directory`));
  assertUsageError(results[3]!, /missing <filepath>/);
});

test('a broker that cannot be reached is ERR_KAFKA_UNREACHABLE naming it, exit 1', async (t) => {
  const { file, dead } = await setup(t);
  const result = await runCli(['upload-file', file, '--config', dead, '--topic_name', 'unreachable', '--logger_stream_level', 'critical'], CLI_TIMEOUT);
  assert.equal(result.code, 1, result.stderr);
  const last = result.stderr.trim().split('\n').at(-1)!;
  assert.match(last, /^datafile-stream upload-file: ERR_KAFKA_UNREACHABLE: /);
  assert.match(last, /127\.0\.0\.1:1/);
  assert.match(last, /"unreachable"/);
});
