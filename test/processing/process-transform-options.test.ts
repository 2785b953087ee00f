/** ProcessTransform's options: one frozen default per option and one check, shared by the stage and the command line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorCodeOf } from '../../lib/errors.js';
import { ProcessTransform } from '../../lib/processing/process-transform.js';
import { checkNThreads, PROCESS_TRANSFORM_DEFAULTS, validateProcessTransformLimits } from '../../lib/processing/process-transform-options.js';
import { silent } from '../support/silent-logger.js';

const refusal = (fn: () => unknown): Error & { code?: string; option?: string } => {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string; option?: string };
  }
  assert.fail('expected a refusal');
};

test('an option left undefined takes the frozen default', () => {
  assert.deepEqual({ ...validateProcessTransformLimits({}) }, { nThreads: 2, maxAttempts: 3, backoffMs: 500 });
  assert.ok(Object.isFrozen(PROCESS_TRANSFORM_DEFAULTS));
  assert.ok(Object.isFrozen(validateProcessTransformLimits({ nThreads: 5 })));
  assert.equal(validateProcessTransformLimits({ nThreads: 5, timeoutMs: 10 }).timeoutMs, 10);
});

test('each limit is checked in the constructor, which names the option in a ProcessingError ERR_INVALID_OPTION', () => {
  const cases = [['nThreads', 0], ['nThreads', 1.5], ['maxAttempts', 0], ['backoffMs', -1], ['timeoutMs', 0]] as const;
  for (const [option, value] of cases) {
    const err = refusal(() => new ProcessTransform({ logger: silent, process: async () => undefined, [option]: value }));
    assert.equal(err.name, 'ProcessingError');
    assert.equal(err.code, 'ERR_INVALID_OPTION');
    assert.equal(err.option, option);
    assert.match(err.message, new RegExp(`^${option} must be .*, got ${value}$`));
  }
});

test('the check is the one the command line runs: same code for --n_threads 0 and nThreads: 0', () => {
  const flag = refusal(() => checkNThreads(0, 'n_threads'));
  const stage = refusal(() => new ProcessTransform({ logger: silent, process: async () => undefined, nThreads: 0 }));
  assert.equal(errorCodeOf(flag), errorCodeOf(stage));
  assert.equal(flag.option, 'n_threads');
});
