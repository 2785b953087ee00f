import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { checkStageAfterMs, STAGING_DEFAULTS, validateStagingLimits } from '../../lib/sinks/staging-options.js';
import { DiskSink } from '../../lib/sinks/disk-sink.js';
import { MemoryBuffer } from '../../lib/sinks/memory-buffer.js';
import { silent } from '../support/silent-logger.js';

test('stageAfterMs: one frozen default, one check (ERR_INVALID_OPTION naming it)', () => {
  assert.deepEqual({ ...validateStagingLimits({}) }, { stageAfterMs: 5000 });
  assert.ok(Object.isFrozen(STAGING_DEFAULTS));
  assert.equal(validateStagingLimits({ stageAfterMs: 0 }).stageAfterMs, 0);
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => checkStageAfterMs(bad, 'stageAfterMs'), { code: 'ERR_INVALID_OPTION', option: 'stageAfterMs' });
  }
});

test('both sinks refuse a bad stageAfterMs when they are built, with the same code', () => {
  const common = { logger: silent, stagingDir: tmpdir(), stageAfterMs: -5 };
  assert.throws(() => new DiskSink({ ...common, outputDir: tmpdir() }), { code: 'ERR_INVALID_OPTION', option: 'stageAfterMs' });
  assert.throws(() => new MemoryBuffer(common), { code: 'ERR_INVALID_OPTION', option: 'stageAfterMs' });
});
