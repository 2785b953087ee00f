/**
 * Integration: `datafile-stream monitor` on the real broker. Off a TTY it prints one JSON line
 * per heartbeat and one when a program goes silent; on a TTY (run under script(1)) it draws the
 * table. Its --help, and its line in the main --help.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertExit, ROOT, runCli, uniqueTopic } from './upload-support.js';
import { tempDir } from '../support/temp-dir.js';
import { readRecords } from '../interop/helpers.js';

process.env.LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS ??= '127.0.0.1:9092';
const HEARTBEATS_CONFIG = join(ROOT, 'fixtures/openmsistream-configs/local_broker_test_heartbeats.config');

test('monitor off a TTY: a JSON line per heartbeat of our uploader, counters adding up, then "silent" once it stopped', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t, 'mon-up');
  await writeFile(join(dir, 'a.bin'), randomBytes(10_000));
  const topic = uniqueTopic(t, 't-mon-data');
  const hbTopic = uniqueTopic(t, 't-mon-hb');
  const up = await runCli(['upload-directory', dir, '--config', HEARTBEATS_CONFIG, '--topic_name', topic, '--chunk_size', '4096', '--upload_existing', '--until_idle', '1', '--heartbeat_topic_name', hbTopic, '--heartbeat_program_id', 'mon-uploader', '--heartbeat_interval_secs', '0.5']);
  assertExit(up, 0);
  const mon = await runCli(['monitor', '--heartbeat_topic', hbTopic, '--config', HEARTBEATS_CONFIG, '--until_idle', '4', '--silent_after', '1', '--refresh', '0.5']);
  assertExit(mon, 0);
  const lines = mon.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; program_id: string; counters?: Record<string, number> });
  const beats = lines.filter((l) => l.event === 'heartbeat');
  assert.ok(beats.length >= 2, mon.stdout);
  assert.ok(beats.every((b) => b.program_id === 'mon-uploader'));
  assert.equal(beats.reduce((n, b) => n + b.counters!.n_messages_produced!, 0), 3);
  const valueBytes = (await readRecords(topic, 3)).reduce((n, r) => n + r.value.length, 0);
  assert.equal(beats.reduce((n, b) => n + b.counters!.n_bytes_produced!, 0), valueBytes);
  assert.deepEqual(lines.filter((l) => l.event === 'silent').map((l) => l.program_id), ['mon-uploader']);
});

test('monitor on a TTY draws the table: program id, last seen, SILENT', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t, 'mon-tty');
  await writeFile(join(dir, 'b.bin'), randomBytes(5000));
  const topic = uniqueTopic(t, 't-mon-tty-data');
  const hbTopic = uniqueTopic(t, 't-mon-tty-hb');
  assertExit(await runCli(['upload-directory', dir, '--config', HEARTBEATS_CONFIG, '--topic_name', topic, '--upload_existing', '--until_idle', '1', '--heartbeat_topic_name', hbTopic, '--heartbeat_program_id', 'tty-uploader', '--heartbeat_interval_secs', '0.5']), 0);
  const cli = [process.execPath, '--import', 'tsx', join(ROOT, 'bin/datafile-stream.ts'), 'monitor', '--heartbeat_topic', hbTopic, '--config', HEARTBEATS_CONFIG, '--until_idle', '4', '--silent_after', '1', '--refresh', '0.5'];
  // script(1) gives the monitor a pseudo-terminal as stdout; its own output is the screen.
  const screen = execFileSync('script', ['-qec', cli.map((a) => `'${a}'`).join(' '), '/dev/null'], { cwd: ROOT, env: process.env, encoding: 'utf8', timeout: 60_000 });
  assert.match(screen, /\x1b\[H\x1b\[2J/);
  assert.match(screen, new RegExp(`heartbeats on "${hbTopic}"`));
  assert.match(screen, /program id\s+last seen\s+beats\s+msg\/s\s+MiB\/s/);
  assert.match(screen, /tty-uploader\s+\d+s ago\s+\d+.*SILENT/);
});

test('monitor --help, and the main --help lists it', async () => {
  const help = await runCli(['monitor', '--help']);
  assertExit(help, 0);
  assert.match(help.stdout, /--heartbeat_topic/);
  assert.match(help.stdout, /--silent_after/);
  const main = await runCli(['--help']);
  assert.match(main.stdout, /^ {2}monitor --heartbeat_topic T/m);
  const missing = await runCli(['monitor']);
  assertExit(missing, 2);
});
