/**
 * A counting semaphore over bytes: `acquire(n)` resolves once `n` more bytes fit under the limit,
 * `release(n)` gives them back. Stages use it to bound what they hold (bytes in flight to the
 * broker, file bytes buffered in memory). A single request larger than the whole budget is let
 * through alone, when nothing else is held, so one oversized item cannot deadlock the flow.
 */
import { DataFileStreamError } from '../errors.js';

export class ByteBudget {
  readonly limit: number;
  #used = 0;
  #waiters: Array<{ bytes: number; resolve: () => void }> = [];

  constructor(limit: number, name = 'byte budget') {
    if (!Number.isFinite(limit) || limit <= 0) {
      throw new DataFileStreamError('ERR_INVALID_OPTION', `${name} must be a positive number of bytes, got ${limit}`, { option: name });
    }
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  get available(): number {
    return Math.max(0, this.limit - this.#used);
  }

  /** True when `bytes` fit now without waiting. */
  fits(bytes: number): boolean {
    return this.#waiters.length === 0 && (this.#used + bytes <= this.limit || this.#used === 0);
  }

  tryAcquire(bytes: number): boolean {
    if (!this.fits(bytes)) return false;
    this.#used += bytes;
    return true;
  }

  acquire(bytes: number): Promise<void> {
    if (this.tryAcquire(bytes)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ bytes, resolve }));
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
    while (this.#waiters.length > 0) {
      const next = this.#waiters[0]!;
      if (this.#used + next.bytes > this.limit && this.#used !== 0) break;
      this.#waiters.shift();
      this.#used += next.bytes;
      next.resolve();
    }
  }
}
