/**
 * Interop, heartbeats and log topics, against the real OpenMSIStream 1.8.8:
 * 1. its DataFileUploadDirectory, run with heartbeat flags, and our upload-directory (with
 *    OpenMSIStream's `_heartbeats` config, unchanged) send heartbeats to one topic; our `monitor` lists both programs, with
 *    counters that add up to the chunks and bytes each produced.
 * 2. our upload-directory and download-directory heartbeats and log batches decode the way
 *    OpenMSIStream's own classes lay them out (scripts/interop/check_telemetry.py builds its
 *    UploadDirectoryHeartbeatProducible / MessageProcessorHeartbeatProducible / LogProducible
 *    with the same id and counters and compares keys, field names and order, and checks that the
 *    value text is exactly Python's json.dumps of it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHILD_ENV, ROOT, SHIPPED_CONFIG, Scope, readRecords, recordCount, venvBin, waitFor, writeTree } from './helpers.js';

const HEARTBEATS_CONFIG = join(ROOT, 'fixtures/openmsistream-configs/local_broker_test_heartbeats.config');
const CHECK = join(ROOT, 'scripts/interop/check_telemetry.py');
const CHUNK = 16384;
const TREE = { 'a.bin': 3 * CHUNK + 10, 'sub/b.bin': CHUNK, 'sub/c.bin': 100 };
const CHUNKS = 4 + 1 + 1;

interface MonitorLine {
  event: string;
  program_id: string;
  counters?: Record<string, number>;
}

test('OpenMSIStream\'s DataFileUploadDirectory and ours heartbeat to one topic; our monitor lists both with counters adding up', { timeout: 300_000 }, async (t) => {
  const scope = new Scope(t);
  const pyDir = await scope.tempDir('hb-py');
  const tsDir = await scope.tempDir('hb-ts');
  await writeTree(pyDir, TREE);
  await writeTree(tsDir, TREE);
  const data = await scope.topic('hb-data', 1);
  const hb = await scope.topic('hb-beats', 1);
  const common = ['--topic_name', data, '--chunk_size', String(CHUNK), '--heartbeat_topic_name', hb, '--heartbeat_interval_secs', '1'];
  // OpenMSIStream 1.8.8's DataFileUploadDirectory cannot upload with its own _heartbeats config:
  // its [producer] section sets value.serializer = StringSerializer, which fails on every chunk
  // ("'DataFileChunk' object has no attribute 'encode'"). Its program gets the shipped
  // local_broker_test.config plus that [heartbeat] section; ours runs the fixture unchanged.
  const pyConfig = join(pyDir, '..', `${data}-heartbeats.config`);
  await writeFile(pyConfig, `${await readFile(SHIPPED_CONFIG, 'utf8')}\n[heartbeat]\nlinger.ms = 100\ncompression.type = lz4\n`);
  scope.dirs.push(pyConfig);
  const py = scope.python('DataFileUploadDirectory', [pyDir, '--config', pyConfig, ...common, '--upload_existing', '--heartbeat_program_id', 'py-uploader']);
  await waitFor(() => `OpenMSIStream uploaded its tree; output:\n${py.tail()}`, async () => (await recordCount(data)) >= CHUNKS, 120_000);
  // A heartbeat after the last acknowledgement carries the last counts; then `q` sends its final one.
  await new Promise((r) => setTimeout(r, 3000));
  await py.quitAndWait(60_000);
  const ours = scope.ours(['upload-directory', tsDir, '--config', HEARTBEATS_CONFIG, ...common, '--upload_existing', '--until_idle', '1', '--heartbeat_program_id', 'ts-uploader']);
  await ours.succeeds(120_000);

  const mon = scope.ours(['monitor', '--heartbeat_topic', hb, '--config', HEARTBEATS_CONFIG, '--until_idle', '4', '--silent_after', '3600']);
  await mon.succeeds(120_000);
  // OpenMSIStream counts the bytes of each delivered record value (len(msg)), and so do we. One
  // partition: OpenMSIStream's records come first, ours after them.
  const values = (await readRecords(data, 2 * CHUNKS)).map((r) => r.value.length);
  const bytes = { 'py-uploader': values.slice(0, CHUNKS).reduce((a, b) => a + b, 0), 'ts-uploader': values.slice(CHUNKS).reduce((a, b) => a + b, 0) };
  const lines = mon.output.split('\n').filter((l) => l.startsWith('{"event"')).map((l) => JSON.parse(l) as MonitorLine);
  const beats = (id: string) => lines.filter((l) => l.event === 'heartbeat' && l.program_id === id);
  const total = (id: string, counter: string) => beats(id).reduce((n, l) => n + (l.counters?.[counter] ?? 0), 0);
  assert.ok(beats('py-uploader').length >= 2, mon.output);
  assert.ok(beats('ts-uploader').length >= 2, mon.output);
  for (const id of ['py-uploader', 'ts-uploader'] as const) {
    assert.equal(total(id, 'n_messages_produced'), CHUNKS, `${id}: chunks`);
    assert.equal(total(id, 'n_bytes_produced'), bytes[id], `${id}: bytes`);
  }
});

test('our heartbeats and log batches decode as OpenMSIStream\'s UploadDirectory/MessageProcessor heartbeat and Log producibles', { timeout: 300_000 }, async (t) => {
  const scope = new Scope(t);
  const up = await scope.tempDir('hb-check-up');
  const down = await scope.tempDir('hb-check-down');
  await writeTree(up, TREE);
  const data = await scope.topic('hb-check-data', 1);
  const hb = await scope.topic('hb-check-beats', 1);
  const logs = await scope.topic('hb-check-logs', 1);
  const telemetry = ['--heartbeat_topic_name', hb, '--heartbeat_interval_secs', '1', '--log_topic_name', logs, '--log_interval_secs', '1'];
  await scope.ours(['upload-directory', up, '--config', HEARTBEATS_CONFIG, '--topic_name', data, '--chunk_size', String(CHUNK), '--upload_existing', '--until_idle', '1', ...telemetry, '--heartbeat_program_id', 'ts-up', '--log_program_id', 'ts-up']).succeeds(120_000);
  await scope.ours(['download-directory', down, '--config', HEARTBEATS_CONFIG, '--topic_name', data, '--until_idle', '2', ...telemetry, '--heartbeat_program_id', 'ts-down', '--log_program_id', 'ts-down']).succeeds(120_000);

  const records = [...(await readRecords(hb, await recordCount(hb))), ...(await readRecords(logs, await recordCount(logs)))];
  const file = join(await scope.tempDir('hb-check-records'), 'records.json');
  await writeFile(file, JSON.stringify(records.map((r) => ({ key: r.key, value: r.value.toString('utf8') }))));
  const report = execFileSync(venvBin('python'), [CHECK, file], { env: CHILD_ENV, encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(report.length, records.length);
  for (const r of report) {
    assert.equal(r.exact_json_text, true, JSON.stringify(r));
    assert.equal(r.key_matches, true, JSON.stringify(r));
    assert.equal(r.fields_match, true, JSON.stringify(r));
    if (r.kind === 'heartbeat') {
      assert.equal(r.counters_match, true);
      assert.equal(r.timestamp_utc, true);
    } else {
      assert.equal(r.kind, 'log');
      assert.equal(r.timestamp_float, true);
      assert.equal(r.messages_are_strings, true);
    }
  }
  const producibles = new Set(report.filter((r) => r.kind === 'heartbeat').map((r) => `${r.program_id}:${r.producible}`));
  assert.deepEqual([...producibles].sort(), ['ts-down:MessageProcessorHeartbeatProducible', 'ts-up:UploadDirectoryHeartbeatProducible']);
  const logLines = report.filter((r) => r.kind === 'log').flatMap((r) => r.messages as string[]);
  assert.ok(logLines.some((l) => l.includes('DataFileUploadDirectory: watching for files to upload')), logLines.join('\n'));
  assert.ok(logLines.some((l) => l.includes('DataFileDownloadDirectory: consumer finished')), logLines.join('\n'));
});
