/**
 * The programs drop kafkajs 2.2.4's TimeoutNegativeWarning (Node >= 24 prints one on every
 * client connect) and nothing else. Run in a child process, so this test's own warning handling
 * is not changed; the kafkajs case is a real kafkajs client connecting to the local broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isKafkajsNegativeTimeout } from '../../lib/cli/node-warnings.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('only a negative timeout whose stack passes through kafkajs\'s request queue is recognised', () => {
  const kafkajs = Object.assign(new Error('-17 is a negative number.'), { name: 'TimeoutNegativeWarning' });
  kafkajs.stack = 'TimeoutNegativeWarning: ...\n    at setTimeout (node:timers:120:19)\n    at RequestQueue.scheduleCheckPendingRequests (/x/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)';
  assert.equal(isKafkajsNegativeTimeout(kafkajs), true);
  const ours = Object.assign(new Error('-5 is a negative number.'), { name: 'TimeoutNegativeWarning' });
  ours.stack = 'TimeoutNegativeWarning: ...\n    at setTimeout (node:timers:120:19)\n    at file:///work/lib/x.ts:3:1';
  assert.equal(isKafkajsNegativeTimeout(ours), false);
  const other = Object.assign(new Error('x'), { name: 'DeprecationWarning', stack: 'kafkajs/src/network/requestQueue' });
  assert.equal(isKafkajsNegativeTimeout(other), false);
});

test('a program still prints other warnings (and, on Node >= 24, not kafkajs\'s negative timeout)', () => {
  const script = [
    "import { quietKafkajsTimeoutWarning } from './lib/cli/node-warnings.ts';",
    "import { createKafka } from './lib/kafka/kafka-client.ts';",
    'quietKafkajsTimeoutWarning();',
    "process.emitWarning('a warning of our own', 'OwnWarning');",
    "const admin = createKafka({ brokers: ['127.0.0.1:9092'] }).admin();",
    'await admin.connect(); await admin.listTopics(); await admin.disconnect();',
  ].join('\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /OwnWarning: a warning of our own/);
  assert.doesNotMatch(run.stderr, /TimeoutNegativeWarning/);
});
