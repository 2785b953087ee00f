/**
 * OffsetCommitter: the end of the consumer pipeline. In: Settlements. It records each file's
 * outcome in the registry, settles the file's records in the OffsetTracker, and commits every
 * partition's watermark (one past the highest offset below which every record is settled).
 *
 * Order is the guarantee: a commit first makes the registry durable (fsync), then commits, so a
 * crash at any point either re-reads a record or finds its file in the registry, never loses
 * it. Commits run every `intervalMs` and once more at the end (`_final`). A failed commit is
 * logged and retried with the next one; nothing is ever committed past unfinished work.
 *
 * Processed rows do not wait for the commit: a processed file starts a flush of the processed
 * rows (one at a time, at most one per `processedFlushGapMs`; files processed meanwhile share the
 * next), so a crash makes the program process again only the files in processing and those that
 * ended within about one gap, not a whole commit interval's. The gap keeps a stream of small
 * files from holding a thread of the I/O pool in fsync all the time.
 *
 * The seam for a transactional commit (a reproducer's exactly-once mode): `commit` may commit
 * less than it was handed and return what it committed (a partition it held back is offered
 * again next time), and with `onProcessed` a processed file's registry row is not written here
 * but handed over, for the commit to write once the file's result and offsets are committed.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorCodeOf } from '../errors.js';
import { crashPoint } from '../faults/crash-point.js';
import type { RejectedRecords } from '../registry/rejected-records.js';
import { registryFile } from '../registry/file-registry.js';
import { validateOffsetCommitterLimits, type OffsetCommitterLimits } from './offset-committer-options.js';
import type { Settlement } from '../pipeline-events.js';
import type { CommitOffset, OffsetTracker } from './offset-tracker.js';

/** The registry writes the committer makes (lib/registry/file-registry.ts). */
export interface CommitterRegistry {
  markProcessed(file: { filename: string; relativeFilepath: string; nTotalChunks: number; fileHash: Buffer }): void;
  markFailed(file: { filename: string; relativeFilepath: string; nTotalChunks: number }, reason?: string | Error): void;
  markMismatchedHash(file: { filename: string; relativeFilepath: string; nTotalChunks: number }): void;
  clearInProgress(relativeFilepath: string): boolean;
  flush(): Promise<void>;
  /** Makes the processed rows durable now (not the in-progress table). */
  flushProcessed?(): Promise<void>;
}

export interface OffsetCommitterOptions {
  tracker: OffsetTracker;
  registry?: CommitterRegistry;
  /** Where bad records are recorded (LOGS/rejected_from_...csv). */
  rejected?: Pick<RejectedRecords, 'add' | 'flush'>;
  /** Commits the offsets; may commit fewer (or lower) and then returns what it committed. */
  commit: (offsets: CommitOffset[]) => Promise<void | CommitOffset[]>;
  /** When set, a processed file's registry row is left to this (written after its commit), not written at settlement. */
  onProcessed?: (settlement: Settlement) => void;
  logger: Logger;
  intervalMs?: number;
  /** Sees every settlement after it was recorded (counters, callbacks). */
  onSettled?: (settlement: Settlement) => void | Promise<void>;
  /** Least time between the starts of two flushes of processed rows (OFFSET_COMMITTER_DEFAULTS). */
  processedFlushGapMs?: number;
}

export class OffsetCommitter extends Writable {
  readonly #o: OffsetCommitterOptions;
  readonly #limits: Readonly<OffsetCommitterLimits>;
  #timer: NodeJS.Timeout | undefined;
  #committing: Promise<void> = Promise.resolve();
  #commits = 0;
  /** The flush of processed rows under way, and whether files were processed since it began. */
  #processedFlush: Promise<void> | undefined;
  #processedSinceFlush = false;

  constructor(options: OffsetCommitterOptions) {
    // Checked before super(): a Writable schedules _construct as soon as it exists.
    const limits = validateOffsetCommitterLimits(options);
    super({ objectMode: true, highWaterMark: 16 });
    this.#o = options;
    this.#limits = limits;
  }

  get commits(): number {
    return this.#commits;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.#timer = setInterval(() => void this.commitNow(), this.#limits.intervalMs);
    this.#timer.unref();
    callback();
  }

  override _write(settlement: Settlement, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#record(settlement)
      .then(() => {
        for (const p of settlement.positions) this.#o.tracker.settle(p.topic, p.partition, p.offset);
        callback();
      })
      .catch(callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    clearInterval(this.#timer);
    this.commitNow().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.#timer);
    callback(error);
  }

  /** Flushes the registry, then commits what is settled. Serialized: one commit at a time. */
  commitNow(): Promise<void> {
    this.#committing = this.#committing.then(() => this.#commitOnce());
    return this.#committing;
  }

  async #commitOnce(): Promise<void> {
    // Taken before the flush: every record settled by now had its registry row written first,
    // so this flush covers it. A settlement recorded while the flush runs may miss it, so its
    // offsets wait for the next round.
    const offsets = this.#o.tracker.commitOffsets();
    try {
      await this.#o.registry?.flush();
      await this.#o.rejected?.flush();
    } catch (err) {
      for (const o of offsets) this.#o.tracker.markCommitFailed(o.topic, o.partition);
      this.#o.logger.error({ err, code: errorCodeOf(err) }, 'registry flush failed; not committing offsets');
      return;
    }
    if (offsets.length === 0) return;
    crashPoint('after-registry');
    try {
      const committed = (await this.#o.commit(offsets)) ?? offsets;
      crashPoint('after-commit');
      for (const o of committed) this.#o.tracker.markCommitted(o.topic, o.partition, o.offset);
      // Held back (or lowered): offered again with the next commit.
      for (const o of offsets) {
        if (!committed.some((c) => c.topic === o.topic && c.partition === o.partition && c.offset === o.offset)) this.#o.tracker.markCommitFailed(o.topic, o.partition);
      }
      this.#commits++;
      this.#o.logger.debug({ offsets }, 'offsets committed');
    } catch (err) {
      for (const o of offsets) this.#o.tracker.markCommitFailed(o.topic, o.partition);
      this.#o.logger.warn({ err, code: errorCodeOf(err) }, 'offset commit failed; will retry');
    }
  }

  #flushProcessedSoon(): void {
    const registry = this.#o.registry;
    if (registry?.flushProcessed === undefined) return;
    if (this.#processedFlush !== undefined) {
      this.#processedSinceFlush = true;
      return;
    }
    const started = Date.now();
    this.#processedFlush = registry
      .flushProcessed()
      // Not fatal here: the rows stay buffered and the next commit's flush retries them (and
      // does not commit if that fails too).
      .catch((err: unknown) => this.#o.logger.warn({ err, code: errorCodeOf(err) }, 'processed-files flush failed; the next commit retries it'))
      .then(() => sleep(Math.max(0, started + this.#limits.processedFlushGapMs - Date.now()), undefined, { ref: false }))
      .finally(() => {
        this.#processedFlush = undefined;
        if (!this.#processedSinceFlush) return;
        this.#processedSinceFlush = false;
        this.#flushProcessedSoon();
      });
  }

  async #record(s: Settlement): Promise<void> {
    const registry = this.#o.registry;
    const ref = s.file;
    if (s.outcome === 'rejected' && !ref && s.error) {
      const code = 'code' in s.error && typeof s.error.code === 'string' ? s.error.code : 'ERR_CHUNK_INVALID';
      for (const p of s.positions) this.#o.rejected?.add(p, code, s.error.message);
    }
    if (registry && ref) {
      const file = registryFile(ref);
      switch (s.outcome) {
        case 'processed':
          if (this.#o.onProcessed) {
            this.#o.onProcessed(s);
            break;
          }
          registry.markProcessed(file);
          this.#flushProcessedSoon();
          break;
        case 'failed':
          registry.markFailed(file, s.error);
          break;
        case 'mismatched_hash':
          registry.markMismatchedHash(file);
          break;
        case 'superseded':
        case 'already_processed':
          registry.clearInProgress(ref.relativePath);
          break;
        default:
          break;
      }
    }
    await this.#o.onSettled?.(s);
  }
}
