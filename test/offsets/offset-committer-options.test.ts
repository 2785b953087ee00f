import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OFFSET_COMMITTER_DEFAULTS, validateOffsetCommitterLimits } from '../../lib/offsets/offset-committer-options.js';
import { OffsetCommitter } from '../../lib/offsets/offset-committer.js';
import { OffsetTracker } from '../../lib/offsets/offset-tracker.js';
import { silent } from '../support/silent-logger.js';

test('the committer timing: frozen defaults, and each bad value is ERR_INVALID_OPTION naming it', () => {
  assert.deepEqual({ ...validateOffsetCommitterLimits({}) }, { intervalMs: 1000, processedFlushGapMs: 100 });
  assert.ok(Object.isFrozen(OFFSET_COMMITTER_DEFAULTS));
  assert.throws(() => validateOffsetCommitterLimits({ intervalMs: 0 }), { code: 'ERR_INVALID_OPTION', option: 'intervalMs' });
  assert.throws(() => validateOffsetCommitterLimits({ processedFlushGapMs: -1 }), { code: 'ERR_INVALID_OPTION', option: 'processedFlushGapMs' });
});

test('OffsetCommitter runs the check once, when it is built', () => {
  const make = (intervalMs: number) => new OffsetCommitter({ tracker: new OffsetTracker(), logger: silent, commit: async () => undefined, intervalMs });
  assert.throws(() => make(-10), { code: 'ERR_INVALID_OPTION', option: 'intervalMs' });
  const ok = make(50);
  ok.destroy();
});
