/**
 * Integration: heartbeats and log batches of our programs on the real broker, with
 * OpenMSIStream's own `_heartbeats` / `_logs` configs and its flags. upload-directory sends
 * heartbeats whose counters add up to the chunks and bytes it produced; download-directory's
 * add up to what it read and rebuilt; a heartbeat topic Kafka refuses is a warning, not a
 * failure; upload-file sends its log lines to the log topic while stderr keeps them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertExit, countRecords, runCli, uniqueTopic } from './upload-support.js';
import { readRecords } from '../interop/helpers.js';
import { tempDir } from '../support/temp-dir.js';

process.env.LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS ??= '127.0.0.1:9092';
const CONFIGS = new URL('../../fixtures/openmsistream-configs/', import.meta.url).pathname;
const HEARTBEATS_CONFIG = join(CONFIGS, 'local_broker_test_heartbeats.config');
const LOGS_CONFIG = join(CONFIGS, 'local_broker_test_logs.config');
const CHUNK = 4096;
const SIZES = [10_000, 4096, 1, 20_000];
const CHUNKS = SIZES.reduce((n, s) => n + Math.ceil(s / CHUNK), 0);
const BYTES = SIZES.reduce((n, s) => n + s, 0);

async function heartbeats(topic: string): Promise<Array<{ key: string; value: Record<string, unknown>; keys: string[] }>> {
  const records = await readRecords(topic, await countRecords(topic), 30_000);
  return records.map((r) => {
    const value = JSON.parse(r.value.toString('utf8')) as Record<string, unknown>;
    return { key: r.key, value, keys: Object.keys(value) };
  });
}

const sum = (rows: Array<{ value: Record<string, unknown> }>, field: string): number => rows.reduce((n, r) => n + Number(r.value[field]), 0);

test('upload-directory then download-directory with --heartbeat_topic_name: OpenMSIStream\'s keys, layout and counters adding up', { timeout: 180_000 }, async (t) => {
  const dir = await tempDir(t, 'hb-up');
  await mkdir(join(dir, 'sub'));
  await Promise.all(SIZES.map((size, i) => writeFile(join(dir, i % 2 ? 'sub' : '', `f${i}.bin`), randomBytes(size))));
  const topic = uniqueTopic(t, 't-hb-data');
  const hbTopic = uniqueTopic(t, 't-hb');
  const hb = ['--heartbeat_topic_name', hbTopic, '--heartbeat_interval_secs', '0.5'];
  const up = await runCli(['upload-directory', dir, '--config', HEARTBEATS_CONFIG, '--topic_name', topic, '--chunk_size', String(CHUNK), '--upload_existing', '--until_idle', '2', ...hb, '--heartbeat_program_id', 'uploader-1']);
  assertExit(up, 0);
  const ups = await heartbeats(hbTopic);
  assert.ok(ups.length >= 2, `a first and a last heartbeat at least, got ${ups.length}`);
  for (const h of ups) {
    assert.equal(h.key, 'uploader-1_heartbeat');
    assert.deepEqual(h.keys, ['timestamp', 'n_messages_produced', 'n_bytes_produced']);
    assert.match(String(h.value.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  }
  assert.equal(sum(ups, 'n_messages_produced'), CHUNKS, 'each chunk counted once, in the heartbeat after its acknowledgement');
  // Record value bytes, as OpenMSIStream counts len(msg) of each delivered record.
  const valueBytes = (await readRecords(topic, CHUNKS)).reduce((n, r) => n + r.value.length, 0);
  assert.equal(sum(ups, 'n_bytes_produced'), valueBytes);

  const out = await tempDir(t, 'hb-down');
  const down = await runCli(['download-directory', out, '--config', HEARTBEATS_CONFIG, '--topic_name', topic, '--until_idle', '3', ...hb, '--heartbeat_program_id', 'downloader-1']);
  assertExit(down, 0);
  const downs = (await heartbeats(hbTopic)).filter((h) => h.key === 'downloader-1_heartbeat');
  assert.ok(downs.length >= 2);
  for (const h of downs) assert.deepEqual(h.keys, ['timestamp', 'n_messages_read', 'n_messages_processed', 'n_bytes_read', 'n_bytes_processed']);
  assert.equal(sum(downs, 'n_messages_read'), CHUNKS);
  assert.equal(sum(downs, 'n_messages_processed'), CHUNKS);
  assert.equal(sum(downs, 'n_bytes_processed'), BYTES, 'the bytes of the files processed');
  assert.equal(sum(downs, 'n_bytes_read'), valueBytes);
});

test('a heartbeat topic Kafka refuses is one warning; the upload goes on and exits 0', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t, 'hb-bad');
  await writeFile(join(dir, 'a.bin'), randomBytes(9000));
  const topic = uniqueTopic(t, 't-hb-bad');
  const res = await runCli(['upload-directory', dir, '--config', HEARTBEATS_CONFIG, '--topic_name', topic, '--chunk_size', String(CHUNK), '--upload_existing', '--until_idle', '1', '--heartbeat_topic_name', 'no spaces allowed!', '--heartbeat_interval_secs', '0.5']);
  assertExit(res, 0);
  assert.equal(await countRecords(topic), 3);
  const warnings = res.stderr.split('\n').filter((l) => l.includes('heartbeat message to topic'));
  assert.equal(warnings.length, 1, res.stderr);
});

test('upload-file with --log_topic_name: its log lines arrive in batches with key <id>_log, and stderr still has them', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t, 'log-up');
  const file = join(dir, 'logged.bin');
  await writeFile(file, randomBytes(5000));
  const topic = uniqueTopic(t, 't-log-data');
  const logTopic = uniqueTopic(t, 't-log');
  const res = await runCli(['upload-file', file, '--config', LOGS_CONFIG, '--topic_name', topic, '--chunk_size', String(CHUNK), '--log_topic_name', logTopic, '--log_program_id', 'up-file', '--log_interval_secs', '0.5']);
  assertExit(res, 0);
  assert.match(res.stderr, /"msg":"uploaded"/);
  const batches = await heartbeats(logTopic);
  assert.ok(batches.length >= 1);
  for (const b of batches) {
    assert.equal(b.key, 'up-file_log');
    assert.deepEqual(b.keys, ['timestamp', 'messages']);
    assert.equal(typeof b.value.timestamp, 'number');
  }
  const lines = batches.flatMap((b) => b.value.messages as string[]);
  assert.ok(lines.some((l) => /INFO UploadDataFile: uploaded .*logged\.bin/.test(l)), lines.join('\n'));
});

test('reproduce with --heartbeat_topic_name: OpenMSIStream\'s reproducer counters, in its order, the results produced adding up', { timeout: 180_000 }, async (t) => {
  const dir = await tempDir(t, 'hb-repro');
  await Promise.all(SIZES.map((size, i) => writeFile(join(dir, `f${i}.bin`), randomBytes(size))));
  const topic = uniqueTopic(t, 't-hb-repro-data');
  const results = uniqueTopic(t, 't-hb-repro-results');
  const hbTopic = uniqueTopic(t, 't-hb-repro');
  assertExit(await runCli(['upload-directory', dir, '--topic_name', topic, '--chunk_size', String(CHUNK), '--upload_existing', '--until_idle', '2']), 0);
  const fixture = new URL('./fixtures/sha-reproducer.ts', import.meta.url).pathname;
  const run = await runCli(
    ['reproduce', fixture, '--topic_name', topic, '--producer_topic_name', results, '--output_dir', await tempDir(t, 'hb-repro-out'), '--until_idle', '3', '--heartbeat_topic_name', hbTopic, '--heartbeat_interval_secs', '0.5', '--heartbeat_program_id', 'repro-1'],
  );
  assertExit(run, 0);
  const beats = (await heartbeats(hbTopic)).filter((h) => h.key === 'repro-1_heartbeat');
  assert.ok(beats.length >= 2, `a first and a last heartbeat at least, got ${beats.length}`);
  for (const h of beats) assert.deepEqual(h.keys, ['timestamp', 'n_messages_read', 'n_messages_processed', 'n_messages_produced', 'n_bytes_read', 'n_bytes_processed', 'n_bytes_produced']);
  const produced = await readRecords(results, SIZES.length);
  assert.equal(sum(beats, 'n_messages_read'), CHUNKS);
  assert.equal(sum(beats, 'n_messages_produced'), SIZES.length, 'one result per file');
  assert.equal(sum(beats, 'n_bytes_produced'), produced.reduce((n, r) => n + r.value.length, 0), 'the result values\' bytes');
});
