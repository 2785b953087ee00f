// The consumer's start-up errors through the CLI (download-directory): each is one line with its
// code and what to do, exit 1, within seconds, and never Node's "Unhandled 'error' event".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { closedPort } from '../support/closed-port.js';
import { join } from 'node:path';
import { createTopic, runCli, uniqueName, type CliRun } from './consumer-support.js';
import { tempDir } from '../support/temp-dir.js';

async function download(outputDir: string, topic: string, extra: string[] = []): Promise<CliRun & { ms: number }> {
  const started = Date.now();
  const run = await runCli(['download-directory', outputDir, '--topic_name', topic, '--consumer_group_id', uniqueName('g'), '--until_idle', '5', ...extra], { timeoutMs: 60_000 });
  return { ...run, ms: Date.now() - started };
}

function assertOneCodedLine(run: CliRun & { ms: number }, code: string, message: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  assert.ok(run.ms < 8000, `failed after ${run.ms} ms`);
  assert.doesNotMatch(run.stderr, /Unhandled|    at /, 'no unhandled error event, no stack trace');
  // On librdkafka the program first says at info which engine runs: not an error line.
  const lines = run.stderr.trim().split('\n').filter((line) => !line.includes('"msg":"Kafka engine: librdkafka"'));
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, new RegExp(`^datafile-stream download-directory: ${code}: `));
  assert.match(lines[0]!, message);
}

test('a topic that does not exist: ERR_TOPIC_MISSING at once, saying how to create it', async (t) => {
  const out = await tempDir(t);
  const run = await download(join(out, 'out'), uniqueName('does-not-exist'));
  assertOneCodedLine(run, 'ERR_TOPIC_MISSING', /topic "does-not-exist-\w+" does not exist on Kafka at 127\.0\.0\.1:9092; uploading to it creates it .*kafka-topics\.sh --create/);
});

test('an unreachable broker: ERR_KAFKA_UNREACHABLE naming it, with the hint, within seconds and no kafkajs lines', async (t) => {
  const dir = await tempDir(t);
  const config = join(dir, 'closed.config');
  const port = await closedPort();
  await writeFile(config, `[broker]\nbootstrap.servers = 127.0.0.1:${port}\n`);
  const run = await download(join(dir, 'out'), 'any_topic', ['--config', config]);
  assertOneCodedLine(run, 'ERR_KAFKA_UNREACHABLE', new RegExp(`Kafka at 127\\.0\\.0\\.1:${port} does not answer .*datafile-stream broker start.*bootstrap\\.servers`));
});

test('an output directory that is a file: ERR_OUTPUT_NOT_DIRECTORY', async (t) => {
  const dir = await tempDir(t);
  const topic = uniqueName('outdir');
  await createTopic(topic, 1);
  await writeFile(join(dir, 'a-file'), 'x');
  assertOneCodedLine(await download(join(dir, 'a-file'), topic), 'ERR_OUTPUT_NOT_DIRECTORY', /a-file is not a directory/);
  assertOneCodedLine(await download(join(dir, 'a-file', 'sub'), topic), 'ERR_OUTPUT_NOT_DIRECTORY', /a-file is a file, not a directory/);
});

test('an output directory that cannot be written: ERR_OUTPUT_NOT_WRITABLE with the cause (read-only, or permission)', async (t) => {
  const dir = await tempDir(t);
  const topic = uniqueName('readonly');
  await createTopic(topic, 1);
  const locked = join(dir, 'locked');
  await mkdir(locked);
  const root = process.getuid?.() === 0;
  // root writes through mode 0555, so for root it is a read-only filesystem (EROFS, what users hit).
  if (root) {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', locked], { encoding: 'utf8' });
    assert.equal(mounted.status, 0, `mount a read-only tmpfs: ${mounted.stderr}`);
  } else {
    await chmod(locked, 0o555);
  }
  const cause = root ? 'it is on a read-only filesystem' : 'permission denied';
  try {
    assertOneCodedLine(await download(locked, topic), 'ERR_OUTPUT_NOT_WRITABLE', new RegExp(`cannot write to the output directory ${locked}: ${cause}`));
    assertOneCodedLine(await download(join(locked, 'a', 'b'), topic), 'ERR_OUTPUT_NOT_WRITABLE', new RegExp(`\\(at ${join(locked, 'a')}\\): ${cause}`));
  } finally {
    if (root) spawnSync('umount', [locked]);
    else await chmod(locked, 0o755);
  }
});
