import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentRate } from '../../lib/log/recent-rate.js';

test('the rate is the growth over the last window, not the whole-run average', () => {
  const rate = new RecentRate(5000);
  // 100 units/s for 60 s, sampled twice a second.
  for (let t = 0; t <= 60_000; t += 500) rate.sample(t, t / 10);
  assert.equal(rate.perSecond(60_000), 100);
  // Then 10 units/s: the window shows it within one window, an average over 70 s would not (~87).
  for (let t = 60_500; t <= 70_000; t += 500) rate.sample(t, 6000 + (t - 60_000) / 100);
  assert.equal(rate.perSecond(70_000), 10);
});

test('an idle total falls to 0 one window after it stopped, while still sampled', () => {
  const rate = new RecentRate(5000);
  for (let t = 0; t <= 10_000; t += 500) rate.sample(t, t);
  assert.equal(rate.perSecond(10_000), 1000);
  for (let t = 10_500; t <= 12_500; t += 500) rate.sample(t, 10_000);
  const halfway = rate.perSecond(12_500);
  assert.ok(halfway > 0 && halfway < 1000, `falling, not yet 0: ${halfway}`);
  for (let t = 13_000; t <= 15_500; t += 500) rate.sample(t, 10_000);
  assert.equal(rate.perSecond(15_500), 0);
});

test('without samples, or with one, the rate is 0; a pause between samples counts as idle time', () => {
  const rate = new RecentRate(5000);
  assert.equal(rate.perSecond(0), 0);
  rate.sample(0, 0);
  assert.equal(rate.perSecond(1000), 0);
  rate.sample(1000, 1000);
  assert.equal(rate.perSecond(1000), 1000);
  assert.equal(rate.perSecond(2000), 500, 'measured to now, not to the last sample');
});
