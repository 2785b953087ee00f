/** The shared option validators: what each accepts and the message of what it refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logLevel, numberRule, nonNegativeSeconds, oneOf, positiveInteger, positiveNumber, positiveSeconds, regularExpression, topicName } from '../../lib/config/option-values.js';

function refuses(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: Error & { code?: string; option?: string }) => err.code === 'ERR_INVALID_ARGUMENT' && pattern.test(err.message));
}

test('positiveInteger', () => {
  assert.equal(positiveInteger('4', 'n'), 4);
  assert.equal(positiveInteger(7, 'n'), 7);
  for (const bad of ['0', '-3', '2.5', '', '4,5', 'x', Infinity]) refuses(() => positiveInteger(bad, 'n_threads'), /^--n_threads must be a whole number >= 1, got /);
});

test('positiveNumber, positiveSeconds, nonNegativeSeconds', () => {
  assert.equal(positiveNumber('0.5', 'm'), 0.5);
  refuses(() => positiveNumber('0', 'memory_budget'), /--memory_budget must be a number > 0/);
  refuses(() => positiveNumber('-5', 'memory_budget'), /got "-5"/);
  assert.equal(nonNegativeSeconds('0', 'until_idle'), 0);
  refuses(() => nonNegativeSeconds('-1', 'until_idle'), /--until_idle must be a number of seconds >= 0/);
  refuses(() => positiveSeconds(0, 'process_timeout'), /--process_timeout must be a number of seconds > 0/);
});

test("numberRule: a stage's rule takes numbers only and throws the stage's error naming the option as spelt", () => {
  const even = numberRule('an even number', (n) => n % 2 === 0, (message, context) => Object.assign(new Error(message), { code: 'ERR_INVALID_OPTION' }, context));
  assert.equal(even(4, 'n'), 4);
  for (const [bad, shown] of [[3, '3'], ['4', '"4"'], [Number.NaN, 'NaN'], [undefined, 'undefined']] as const) {
    assert.throws(() => even(bad, 'nThreads'), (err: Error & { code?: string; option?: string; value?: unknown }) =>
      err.code === 'ERR_INVALID_OPTION' && err.option === 'nThreads' && Object.is(err.value, bad) && err.message === `nThreads must be an even number, got ${shown}`);
  }
});

test('topicName: Kafka\'s rule', () => {
  assert.equal(topicName('a.b_c-1', 'topic_name'), 'a.b_c-1');
  for (const bad of ['', '.', '..', 'a b', 'x'.repeat(250)]) refuses(() => topicName(bad, 'topic_name'), /--topic_name must be 1-249 of/);
});

test('logLevel, oneOf, regularExpression', () => {
  assert.equal(logLevel('CRITICAL', 'l'), 'critical');
  refuses(() => logLevel('verbose', 'logger_stream_level'), /--logger_stream_level must be one of/);
  assert.equal(oneOf(['disk', 'memory'] as const)('disk', 'mode'), 'disk');
  refuses(() => oneOf(['disk', 'memory'] as const)('ram', 'mode'), /--mode must be one of disk, memory, got "ram"/);
  assert.ok(regularExpression('^a', 'r').test('ab'));
  refuses(() => regularExpression('(', 'download_regex'), /--download_regex is not a valid regular expression/);
});
