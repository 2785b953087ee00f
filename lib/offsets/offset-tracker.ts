/**
 * OffsetTracker: which offset of each partition is safe to commit. Pure bookkeeping, no Kafka.
 *
 * In:  `observe(topic, partition, offset)` for every record as it is read (offsets strictly
 *      increase within a partition, with gaps allowed: compacted topics, transaction markers,
 *      records the source filtered out before observing them), then `settle(...)` for each of
 *      those offsets once the record needs nothing more (its file processed and recorded, failed
 *      for good, rejected, skipped as stale or duplicate, or its chunk durable in disk staging).
 * Out: `commitOffsets()` gives, per partition whose watermark moved since it was last handed out,
 *      the Kafka offset to commit: one past the highest H such that every observed offset <= H
 *      is settled (i.e. the lowest unsettled observed offset, or one past the last observed).
 *
 * Memory: 9 bytes per record in flight, in a PartitionWindow (partition-window.ts) per partition;
 * settled records at the head are dropped at once. `settle` is O(1) for contiguous offsets and
 * O(log n) with gaps.
 *
 * Decisions:
 * - Settling twice, settling an offset below the watermark, one never observed, or one from
 *   before the last `reset` is ignored and `settle` returns false: late settles after a
 *   rebalance are normal, and the watermark cannot be corrupted by them. Pass the epoch that
 *   `observe` returned to also reject a stale settle of an offset re-read after a `reset`.
 * - Observing an offset not above the last observed one (since the last reset) throws
 *   ERR_INVALID_ARGUMENT: it means the caller seeked without `reset`, and guessing would risk
 *   committing past a record that is still in flight.
 * - Offsets are decimal strings in the API (kafkajs) and safe integers inside; anything else
 *   throws ERR_INVALID_ARGUMENT.
 */

import { DataFileStreamError } from '../errors.js';
import { PartitionWindow } from './partition-window.js';

/** One offset to commit, in kafkajs' shape (`offset` is the next offset to read). */
export interface CommitOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** A partition's window plus what was handed out and confirmed (-1: nothing yet). */
interface PartitionEntry {
  window: PartitionWindow;
  handedOut: number;
  committed: number;
}

function parseOffset(value: string, topic: string, partition: number): number {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value)) {
    throw new DataFileStreamError('ERR_INVALID_ARGUMENT', `offset must be a non-negative decimal string, got ${String(value)}`, {
      topic,
      partition,
      offset: String(value),
    });
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new DataFileStreamError('ERR_INVALID_ARGUMENT', `offset ${value} is beyond 2^53 - 1`, { topic, partition, offset: value });
  }
  return n;
}

function checkPartition(topic: string, partition: number): void {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new DataFileStreamError('ERR_INVALID_ARGUMENT', 'topic must be a non-empty string', { topic });
  }
  if (!Number.isInteger(partition) || partition < 0) {
    throw new DataFileStreamError('ERR_INVALID_ARGUMENT', `partition must be a non-negative integer, got ${partition}`, {
      topic,
      partition,
    });
  }
}

export class OffsetTracker {
  #partitions = new Map<string, Map<number, PartitionEntry>>();

  /**
   * Records that `offset` was read from the partition and is now in flight.
   * Returns the partition's epoch, which a caller may pass back to `settle`.
   */
  observe(topic: string, partition: number, offset: string): number {
    checkPartition(topic, partition);
    const n = parseOffset(offset, topic, partition);
    const { window } = this.#entryFor(topic, partition, n);
    if (n <= window.lastObserved) {
      throw new DataFileStreamError(
        'ERR_INVALID_ARGUMENT',
        `offset ${offset} observed after ${window.lastObserved} on ${topic}[${partition}]; call reset() after a seek`,
        { topic, partition, offset },
      );
    }
    window.push(n);
    return window.epoch;
  }

  /**
   * Observes every offset from `first` to `last` inclusive (a contiguous run of records).
   * Offsets at or below the last observed one are skipped, so observing an overlapping range
   * again is harmless. Returns the partition's epoch.
   */
  observeRange(topic: string, partition: number, first: string, last: string): number {
    checkPartition(topic, partition);
    const lo = parseOffset(first, topic, partition);
    const hi = parseOffset(last, topic, partition);
    if (hi < lo) {
      throw new DataFileStreamError('ERR_INVALID_ARGUMENT', `range ${first}..${last} is empty`, { topic, partition, offset: first });
    }
    const { window } = this.#entryFor(topic, partition, lo);
    for (let n = Math.max(lo, window.lastObserved + 1); n <= hi; n++) window.push(n);
    return window.epoch;
  }

  /**
   * Marks an observed offset as needing nothing more. Returns true when this call settled it;
   * false when it was already settled, never observed, or (with `epoch`) observed before a reset.
   */
  settle(topic: string, partition: number, offset: string, epoch?: number): boolean {
    checkPartition(topic, partition);
    const n = parseOffset(offset, topic, partition);
    const window = this.#partitions.get(topic)?.get(partition)?.window;
    if (window === undefined) return false;
    if (epoch !== undefined && epoch !== window.epoch) return false;
    const i = window.indexOf(n);
    return i >= 0 && window.settleAt(i);
  }

  /** Settles every observed offset in [first, last]; returns how many this call settled. */
  settleRange(topic: string, partition: number, first: string, last: string, epoch?: number): number {
    checkPartition(topic, partition);
    const lo = parseOffset(first, topic, partition);
    const hi = parseOffset(last, topic, partition);
    const window = this.#partitions.get(topic)?.get(partition)?.window;
    if (window === undefined || hi < lo) return 0;
    if (epoch !== undefined && epoch !== window.epoch) return 0;
    let count = 0;
    const from = window.lowerBound(lo);
    const to = window.lowerBound(hi + 1);
    // Top down, so the head (index `from` when 0) is settled last and popped in one sweep.
    for (let i = to - 1; i >= from; i--) if (window.settleAt(i)) count++;
    return count;
  }

  /** Observed offsets of the partition not yet settled. */
  pending(topic: string, partition: number): number {
    return this.#partitions.get(topic)?.get(partition)?.window.unsettled ?? 0;
  }

  /** Observed offsets not yet settled, over every partition. */
  pendingTotal(): number {
    let total = 0;
    for (const byPartition of this.#partitions.values()) for (const entry of byPartition.values()) total += entry.window.unsettled;
    return total;
  }

  /** The offset that would be committed now, or undefined for a partition not tracked. */
  watermark(topic: string, partition: number): string | undefined {
    const window = this.#partitions.get(topic)?.get(partition)?.window;
    return window === undefined ? undefined : String(window.watermark);
  }

  /** The partition's epoch (bumped by every reset), or undefined for a partition not tracked. */
  epoch(topic: string, partition: number): number | undefined {
    return this.#partitions.get(topic)?.get(partition)?.window.epoch;
  }

  /**
   * Offsets to commit: every partition whose watermark is beyond what was last handed out or
   * confirmed. Each is handed out once; call `markCommitFailed` to have it offered again.
   */
  commitOffsets(): CommitOffset[] {
    const out: CommitOffset[] = [];
    for (const [topic, byPartition] of this.#partitions) {
      for (const [partition, entry] of byPartition) {
        const watermark = entry.window.watermark;
        if (watermark > entry.handedOut && watermark > entry.committed) {
          entry.handedOut = watermark;
          out.push({ topic, partition, offset: String(watermark) });
        }
      }
    }
    return out;
  }

  /** Records that the broker accepted `offset` for the partition (ignored for one not tracked). */
  markCommitted(topic: string, partition: number, offset: string): void {
    checkPartition(topic, partition);
    const n = parseOffset(offset, topic, partition);
    const entry = this.#partitions.get(topic)?.get(partition);
    if (entry === undefined) return;
    if (n > entry.committed) entry.committed = n;
    if (n > entry.handedOut) entry.handedOut = n;
  }

  /** A commit handed out by `commitOffsets` failed: offer the partition again next time. */
  markCommitFailed(topic: string, partition: number): void {
    const entry = this.#partitions.get(topic)?.get(partition);
    if (entry !== undefined) entry.handedOut = entry.committed;
  }

  /** Last offset confirmed with `markCommitted` (or set by `reset`), or undefined. */
  committed(topic: string, partition: number): string | undefined {
    const entry = this.#partitions.get(topic)?.get(partition);
    return entry === undefined || entry.committed < 0 ? undefined : String(entry.committed);
  }

  /**
   * The partition was (re)assigned or seeked: forget everything in flight, bump the epoch, and
   * expect the next record at `fromOffset` or later. `fromOffset` counts as committed, since it
   * is where the consumer's position came from, so nothing is offered until progress is made.
   */
  reset(topic: string, partition: number, fromOffset: string): void {
    checkPartition(topic, partition);
    const n = parseOffset(fromOffset, topic, partition);
    const entry = this.#entryFor(topic, partition, n);
    entry.window.clear(n);
    entry.committed = n;
    entry.handedOut = n;
  }

  /** The partition was revoked: drop it; later settles for it are ignored. */
  forget(topic: string, partition: number): void {
    const byPartition = this.#partitions.get(topic);
    if (byPartition === undefined) return;
    byPartition.delete(partition);
    if (byPartition.size === 0) this.#partitions.delete(topic);
  }

  #entryFor(topic: string, partition: number, firstOffset: number): PartitionEntry {
    let byPartition = this.#partitions.get(topic);
    if (byPartition === undefined) {
      byPartition = new Map();
      this.#partitions.set(topic, byPartition);
    }
    let entry = byPartition.get(partition);
    if (entry === undefined) {
      // Seen without a reset: the first offset is where reading started, so it is no progress.
      entry = { window: new PartitionWindow(firstOffset), handedOut: firstOffset, committed: -1 };
      byPartition.set(partition, entry);
    }
    return entry;
  }
}
