import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heartbeatMessage, logBatchMessage, pythonUtcIsoformat, sinceLast } from '../../lib/telemetry/telemetry-messages.js';

test('a heartbeat has OpenMSIStream\'s key and Python json.dumps text: timestamp first, then the counters in order', () => {
  const now = new Date(Date.UTC(2026, 11, 3, 18, 5, 9, 42));
  const m = heartbeatMessage('lab-uploader', { n_messages_produced: 3, n_bytes_produced: 12288 }, now);
  assert.equal(m.key, 'lab-uploader_heartbeat');
  assert.equal(m.value, '{"timestamp": "2026-12-03T18:05:09.042000+00:00", "n_messages_produced": 3, "n_bytes_produced": 12288}');
});

test('the timestamp reads as Python\'s datetime.now(timezone.utc).isoformat()', () => {
  assert.equal(pythonUtcIsoformat(new Date(Date.UTC(2027, 0, 1, 0, 0, 0, 0))), '2027-01-01T00:00:00.000000+00:00');
});

test('a log batch: key <id>_log, a float epoch timestamp and the lines as a list, non-ASCII escaped as Python does', () => {
  const m = logBatchMessage('p1', ['one', 'naïve "two"'], 1764788709123);
  assert.equal(m.key, 'p1_log');
  assert.equal(m.value, '{"timestamp": 1764788709.123, "messages": ["one", "na\\u00efve \\"two\\""]}');
  // A whole second is still written as a float, as Python's time() always is.
  assert.match(logBatchMessage('p1', [], 1764788709000).value, /^\{"timestamp": 1764788709\.0*1, /);
});

test('sinceLast gives the counts since the previous totals; a new counter counts from 0', () => {
  assert.deepEqual(sinceLast({ a: 10, b: 5 }, { a: 4 }), { a: 6, b: 5 });
  assert.deepEqual(sinceLast({ a: 3 }, { a: 3 }), { a: 0 });
});
