/** Walking kafkajs's wrapped errors: types outermost first, the innermost message, a bounded walk. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkajsErrorChain, kafkajsErrorTypes, kafkajsInnermostMessage } from '../../lib/kafka/kafkajs-error-chain.js';

test('types along originalError and cause, outermost first; the innermost message', () => {
  const protocol = Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  const retried = Object.assign(new Error('retries exceeded'), { originalError: Object.assign(new Error('wrapped'), { cause: protocol }) });
  assert.deepEqual(kafkajsErrorTypes(retried), ['UNKNOWN_TOPIC_OR_PARTITION']);
  assert.equal(kafkajsInnermostMessage(retried), 'This server does not host this topic-partition');
  assert.equal(kafkajsErrorChain(retried).length, 3);
});

test('a cyclic chain ends, and a non-error is its own text', () => {
  const a: { message: string; cause?: unknown } = { message: 'a' };
  a.cause = a;
  assert.equal(kafkajsErrorChain(a).length, 8);
  assert.deepEqual(kafkajsErrorTypes(undefined), []);
  assert.equal(kafkajsInnermostMessage('plain'), 'plain');
});
