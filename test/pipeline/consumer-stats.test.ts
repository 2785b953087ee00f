import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsumerStats } from '../../lib/pipeline/consumer-stats.js';

const MiB = 1048576;

test('the progress line shows the rate of the last seconds: 0 once reading stopped, not a decaying average', () => {
  const stats = new ConsumerStats();
  let line = '';
  // 10 MiB/s for 30 s, then nothing for 10 s.
  for (let t = 0; t <= 30_000; t += 500) line = stats.progressLine({ bytesRead: (t / 1000) * 10 * MiB, inProgress: 1, now: t });
  assert.match(line, / read 300\.0 MiB  10\.0 MiB\/s$/);
  for (let t = 30_500; t <= 40_000; t += 500) line = stats.progressLine({ bytesRead: 300 * MiB, inProgress: 0, now: t });
  assert.match(line, /^files done 0  in progress 0  failed 0  read 300\.0 MiB  0\.0 MiB\/s$/);
});
