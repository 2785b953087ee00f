/** MemoryBuffer's budget: one frozen default, one check for the stage and for --memory_budget (in MiB). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBuffer } from '../../lib/sinks/memory-buffer.js';
import { checkMaxMebibytes, fileBytesOfBudget, MEBIBYTE, MEMORY_BUFFER_DEFAULTS, validateMemoryBufferLimits } from '../../lib/sinks/memory-buffer-options.js';
import { silent } from '../support/silent-logger.js';
import { tempDir } from '../support/temp-dir.js';

test('maxBytes left undefined is the frozen default, 256 MiB', async (t) => {
  assert.ok(Object.isFrozen(MEMORY_BUFFER_DEFAULTS));
  assert.equal(validateMemoryBufferLimits({}).maxBytes, 256 * MEBIBYTE);
  const dir = await tempDir(t);
  const buffer = new MemoryBuffer({ logger: silent, stagingDir: dir });
  t.after(() => buffer.destroy());
  assert.equal(buffer.bytesHeld, 0);
});

test('a bad maxBytes is refused by the constructor, naming the option, with the code --memory_budget gives', async (t) => {
  const dir = await tempDir(t);
  for (const maxBytes of [0, -1, Number.NaN, Infinity]) {
    assert.throws(() => new MemoryBuffer({ logger: silent, stagingDir: dir, maxBytes }), { code: 'ERR_INVALID_OPTION', option: 'maxBytes' });
  }
  assert.throws(() => checkMaxMebibytes(0, 'memory_budget'), { code: 'ERR_INVALID_OPTION', option: 'memory_budget', message: 'memory_budget must be a number of MiB > 0, got 0' });
  assert.equal(checkMaxMebibytes(0.5, 'memory_budget'), 0.5);
});

test('a memory budget keeps a quarter, at most 64 MiB, for records in flight; the rest holds files', () => {
  assert.equal(fileBytesOfBudget(256 * MEBIBYTE), 192 * MEBIBYTE);
  assert.equal(fileBytesOfBudget(1024 * MEBIBYTE), 960 * MEBIBYTE);
  assert.equal(fileBytesOfBudget(8 * MEBIBYTE), 6 * MEBIBYTE);
  assert.equal(fileBytesOfBudget(1), 1, 'never nothing: MemoryBuffer refuses a budget of 0');
});
