/**
 * PartitionWindow: the in-flight offsets of one partition, for OffsetTracker. Pure.
 *
 * In:  `push(offset)` in strictly increasing order (the caller checks), `settleAt(index)`.
 * Out: `watermark`, the offset to commit: the lowest observed offset not settled, or one past the
 *      last observed when none is pending (gaps between observed offsets never hold it back).
 *
 * Layout: a ring of observed offsets at or above the watermark (Float64Array, exact for safe
 * integers) with a parallel settled flag per slot (Uint8Array), growing by doubling, so 9 bytes
 * per record in flight. The head slot is never settled: settling it pops every settled slot
 * behind it at once, which keeps the watermark O(1) and settles amortised O(1).
 * Lookup of an offset is O(1) when offsets are contiguous (its distance from the head is its
 * index) and a binary search otherwise; the ring is sorted by construction.
 */

const INITIAL_CAPACITY = 16;

export class PartitionWindow {
  #epoch = 0;
  /** Watermark when nothing is pending. */
  #floor: number;
  #lastObserved: number;
  #offsets = new Float64Array(INITIAL_CAPACITY);
  #settled = new Uint8Array(INITIAL_CAPACITY);
  #head = 0;
  #size = 0;
  #unsettled = 0;

  /** A window whose first offset will be `floor` or later. */
  constructor(floor: number) {
    this.#floor = floor;
    this.#lastObserved = floor - 1;
  }

  /** Bumped by every `clear`, so settles from before it can be recognised. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Highest offset pushed since the last clear (floor - 1 when none). */
  get lastObserved(): number {
    return this.#lastObserved;
  }

  get watermark(): number {
    return this.#size === 0 ? this.#floor : (this.#offsets[this.#head] as number);
  }

  /** Offsets pushed and not yet settled. */
  get unsettled(): number {
    return this.#unsettled;
  }

  push(offset: number): void {
    if (this.#size === this.#offsets.length) this.#grow();
    const slot = (this.#head + this.#size) & (this.#offsets.length - 1);
    this.#offsets[slot] = offset;
    this.#settled[slot] = 0;
    this.#size++;
    this.#unsettled++;
    this.#lastObserved = offset;
  }

  /** Index (0 = head) of `offset` in the window, or -1. */
  indexOf(offset: number): number {
    if (this.#size === 0) return -1;
    const first = this.#offsets[this.#head] as number;
    if (offset < first || offset > this.#lastObserved) return -1;
    // Offsets strictly increase, so the index is at most the distance from the head, and
    // exactly that when there are no gaps: the common case costs one comparison.
    const guess = offset - first;
    if (guess < this.#size && this.#at(guess) === offset) return guess;
    let lo = 0;
    let hi = Math.min(this.#size - 1, guess);
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.#at(mid);
      if (value === offset) return mid;
      if (value < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Index of the first offset >= `offset` (the window size when there is none). */
  lowerBound(offset: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#at(mid) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Marks index `i` settled; false when it already was. */
  settleAt(i: number): boolean {
    const slot = (this.#head + i) & (this.#offsets.length - 1);
    if (this.#settled[slot] === 1) return false;
    this.#settled[slot] = 1;
    this.#unsettled--;
    if (i === 0) this.#popSettled();
    return true;
  }

  /** Forgets everything pending; the next offset is expected at `floor` or later. */
  clear(floor: number): void {
    this.#epoch++;
    this.#floor = floor;
    this.#lastObserved = floor - 1;
    this.#head = 0;
    this.#size = 0;
    this.#unsettled = 0;
    if (this.#offsets.length > INITIAL_CAPACITY) {
      this.#offsets = new Float64Array(INITIAL_CAPACITY);
      this.#settled = new Uint8Array(INITIAL_CAPACITY);
    }
  }

  #at(i: number): number {
    return this.#offsets[(this.#head + i) & (this.#offsets.length - 1)] as number;
  }

  #popSettled(): void {
    const mask = this.#offsets.length - 1;
    while (this.#size > 0 && this.#settled[this.#head] === 1) {
      this.#floor = (this.#offsets[this.#head] as number) + 1;
      this.#head = (this.#head + 1) & mask;
      this.#size--;
    }
    if (this.#size === 0) {
      this.#head = 0;
      this.#floor = this.#lastObserved + 1;
    }
  }

  #grow(): void {
    const capacity = this.#offsets.length * 2;
    const offsets = new Float64Array(capacity);
    const settled = new Uint8Array(capacity);
    const mask = this.#offsets.length - 1;
    for (let i = 0; i < this.#size; i++) {
      const slot = (this.#head + i) & mask;
      offsets[i] = this.#offsets[slot] as number;
      settled[i] = this.#settled[slot] as number;
    }
    this.#offsets = offsets;
    this.#settled = settled;
    this.#head = 0;
  }
}
