// The librdkafka engine's own files run where its optional native build loads (scripts/run-tests.mjs
// says when it leaves them out); kafka-engine.test.ts covers the choice and the fallback everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka } from '../../lib/kafka/kafka-client.js';

test('createKafka on librdkafka gives the adapters', () => {
  const rd = createKafka({ brokers: ['127.0.0.1:1'], engine: 'librdkafka' });
  assert.equal(rd.admin().constructor.name, 'LibrdkafkaAdmin');
});
