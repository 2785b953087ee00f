/**
 * A rate over the last few seconds, for progress lines: a whole-run average keeps falling while a
 * program sits idle and hides a stall behind an hour of good throughput. Fed running totals with
 * their times (`sample(now, total)`); `perSecond(now)` is the growth of the total since the
 * oldest sample kept (the last one at or before the window's start) divided by the time since it,
 * so it drops to 0 one window after the total stops moving. Memory: one sample per call within the window (a progress line samples twice a
 * second), older ones are dropped except the last one before the window, which anchors it.
 */

export class RecentRate {
  readonly #windowMs: number;
  readonly #samples: Array<{ at: number; total: number }> = [];

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  /** Records the running total `total` (never decreasing) at time `now` (ms). */
  sample(now: number, total: number): void {
    this.#samples.push({ at: now, total });
    this.#trim(now);
  }

  /** Units per second over the window ending at `now`; 0 before two samples. */
  perSecond(now: number): number {
    this.#trim(now);
    const last = this.#samples.at(-1);
    const first = this.#samples[0];
    if (!last || !first || last === first) return 0;
    // Measured to now, not to the last sample: a total that stopped growing counts as idle time.
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? (last.total - first.total) / seconds : 0;
  }

  #trim(now: number): void {
    const from = now - this.#windowMs;
    // Keep one sample at or before the window's start: growth since then happened inside it.
    while (this.#samples.length > 1 && this.#samples[1]!.at <= from) this.#samples.shift();
  }
}
