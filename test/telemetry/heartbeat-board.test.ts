import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeartbeatBoard, parseHeartbeat } from '../../lib/telemetry/heartbeat-board.js';
import { heartbeatTable } from '../../lib/telemetry/heartbeat-table.js';
import { heartbeatMessage } from '../../lib/telemetry/telemetry-messages.js';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

test('reads OpenMSIStream\'s heartbeat text (microseconds, +00:00) and ours alike', () => {
  const py = parseHeartbeat('a1b2c3_heartbeat', '{"timestamp": "2026-12-03T12:00:00.123456+00:00", "n_messages_read": 4, "n_messages_processed": 4, "n_bytes_read": 100, "n_bytes_processed": 90}');
  assert.deepEqual(py, { programId: 'a1b2c3', timestampMs: T0 + 123, counters: { n_messages_read: 4, n_messages_processed: 4, n_bytes_read: 100, n_bytes_processed: 90 } });
  const ours = heartbeatMessage('up_1', { n_messages_produced: 2, n_bytes_produced: 10 }, new Date(T0));
  assert.equal(parseHeartbeat(ours.key, Buffer.from(ours.value))?.programId, 'up_1');
  // The base HeartbeatProducible has a timestamp only.
  assert.deepEqual(parseHeartbeat('x_heartbeat', '{"timestamp": "2026-12-03T12:00:00+00:00"}')?.counters, {});
});

test('records that are not heartbeats are counted and left out', () => {
  const board = new HeartbeatBoard(60_000);
  assert.equal(board.add('p_log', '{"timestamp": 1.5, "messages": []}'), undefined);
  assert.equal(board.add('p_heartbeat', 'not json'), undefined);
  assert.equal(board.add('_heartbeat', '{"timestamp": "2026-12-03T12:00:00+00:00"}'), undefined);
  assert.equal(board.add('p_heartbeat', '{"n": 1}'), undefined);
  assert.equal(board.ignored, 4);
  assert.deepEqual(board.rows(T0), []);
});

test('rates are the last heartbeat\'s counters over the gap to the one before; silent past the threshold; an older heartbeat read late changes nothing', () => {
  const board = new HeartbeatBoard(30_000);
  const beat = (id: string, atMs: number, n: number) => {
    const m = heartbeatMessage(id, { n_messages_produced: n, n_bytes_produced: n * 1024 * 1024 }, new Date(atMs));
    return board.add(m.key, m.value);
  };
  assert.deepEqual(beat('up', T0, 5)!.rates, {});
  const second = beat('up', T0 + 10_000, 20)!;
  assert.deepEqual(second.rates, { n_messages_produced: 2, n_bytes_produced: 2 * 1024 * 1024 });
  assert.equal(second.heartbeats, 2);
  assert.equal(beat('up', T0 + 5_000, 99)!.lastSeenMs, T0 + 10_000);
  beat('down', T0 + 1_000, 1);
  const rows = board.rows(T0 + 35_000);
  assert.deepEqual(rows.map((r) => [r.programId, r.silent]), [['down', true], ['up', false]]);
  const table = heartbeatTable(rows, T0 + 35_000, 'hb');
  assert.match(table, /^up\s+25s ago\s+2\s+2\.0\s+2\.00\s+messages_produced=20 bytes_produced=20971520\s+ok$/m);
  assert.match(table, /^down\s+34s ago\s+1\s+-\s+-\s+.*SILENT$/m);
});
