import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../lib/config/config-file.js';
import { telemetrySettings } from '../../lib/telemetry/telemetry-options.js';

const heartbeatsConfig = parseConfigText(readFileSync(new URL('../../fixtures/openmsistream-configs/local_broker_test_heartbeats.config', import.meta.url), 'utf8'), { LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS: 'x:9092' });

test('OpenMSIStream\'s _heartbeats config and flags: the topic flag turns heartbeats on, the section gives compression', () => {
  const s = telemetrySettings({ heartbeat_topic_name: 'hb', heartbeat_program_id: 'up1', heartbeat_interval_secs: 2 }, heartbeatsConfig, 'DataFileUploadDirectory');
  assert.deepEqual(s.heartbeat, { topic: 'hb', programId: 'up1', intervalMs: 2000, compression: 'lz4' });
  assert.equal(s.log, undefined);
});

test('a [heartbeat] section without --heartbeat_topic_name sends nothing (as OpenMSIStream) and says so', () => {
  const s = telemetrySettings({}, heartbeatsConfig, 'P');
  assert.equal(s.heartbeat, undefined);
  assert.match(s.notes.join('\n'), /\[heartbeat\] section but no --heartbeat_topic_name/);
});

test('defaults: 15 min heartbeats, 60 s log batches, a program id of name, host and pid; [log] limits read', () => {
  const s = telemetrySettings({ heartbeat_topic_name: 'hb', log_topic_name: 'logs' }, { log: { 'max.logs.per.message': '100', 'log.level': 'WARNING' } }, 'Prog');
  assert.equal(s.heartbeat!.intervalMs, 900_000);
  assert.equal(s.log!.intervalMs, 60_000);
  assert.match(s.heartbeat!.programId, new RegExp(`^Prog_.+_${process.pid}$`));
  assert.equal(s.log!.maxMessages, 100);
  assert.equal(s.log!.level, 'warning');
  assert.throws(() => telemetrySettings({ log_topic_name: 'l' }, { log: { 'max.logs.per.message': '0' } }, 'P'), { code: 'ERR_CONFIG_VALUE' });
});
