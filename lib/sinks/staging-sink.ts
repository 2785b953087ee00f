/**
 * StagingSink: what the disk sink and the memory buffer share. Both are Transforms from
 * AssemblyEvents to SinkEvents over a StagingArea, and both handle events one at a time, in turn
 * with the area's periodic checkpoint, so a checkpoint never runs in the middle of an event. Work
 * a subclass carries on after its event (the disk sink's commits) marks its files in the area
 * (`beginCommit`), which checkpoints skip, and finishes in `drain` before the stream ends.
 *
 * A subclass says how one event is handled (`handle`) and what a checkpoint does (`checkpoint`:
 * the positions it released, settled here as `staged`). The checkpoint runs every
 * `stageAfterMs` (clamped to 0.1-1 s) when the area has a journal; the timer never keeps the
 * process alive and stops at end or destroy, when the area's open files are closed.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { AssemblyEvent, Settlement, SinkEvent } from '../pipeline-events.js';
import type { RecordPosition } from '../types.js';
import type { StagingArea } from './staging-area.js';

export abstract class StagingSink extends Transform {
  protected readonly area: StagingArea;
  readonly #checkpointEveryMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** The event or checkpoint in progress; the next one starts after it. */
  #turn: Promise<void> = Promise.resolve();

  protected constructor(highWaterMark: number, area: StagingArea) {
    super({ objectMode: true, highWaterMark });
    this.area = area;
    this.#checkpointEveryMs = Math.max(100, Math.min(1000, area.stageAfterMs));
  }

  /** Per partition, the lowest released record of a partial file held durably in staging. */
  stagedFrom(): Map<number, bigint> {
    return this.area.stagedFrom();
  }

  /**
   * A settlement reached the end of the pipeline. A journaled file this sink kept in staging
   * after it completed (some of its records were committed on the journal's word) leaves
   * staging and the journal once it was processed or failed for good, and only after
   * `durable()` (the registry's flush) resolved: until then a crash must find it here. A file
   * given up at shutdown (`skipped`) stays for the next run.
   */
  async settled(settlement: Settlement, durable: () => Promise<void>): Promise<void> {
    const { file, outcome } = settlement;
    if (file === undefined || (outcome !== 'processed' && outcome !== 'failed') || !this.area.has(file)) return;
    await durable();
    await this.area.discard(file);
  }

  protected abstract handle(event: AssemblyEvent): Promise<SinkEvent | undefined>;

  /** Makes what is due durable; returns the records that may now be settled as `staged`. */
  protected abstract checkpoint(): Promise<RecordPosition[]>;

  /** End of input: finishes work still running besides the events (none by default). */
  protected drain(): Promise<void> {
    return Promise.resolve();
  }

  override _construct(callback: (error?: Error | null) => void): void {
    if (this.area.journaled) {
      this.#timer = setInterval(() => this.#checkpointNow(), this.#checkpointEveryMs);
      this.#timer.unref();
    }
    callback();
  }

  override _transform(event: AssemblyEvent, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#turn = this.#turn.then(() => this.handle(event)).then(
      (out) => callback(null, out),
      (err: unknown) => callback(err as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    clearInterval(this.#timer);
    this.#turn.then(() => this.drain()).then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.#timer);
    this.area.closeAll().then(() => callback(err), () => callback(err));
  }

  #checkpointNow(): void {
    this.#turn = this.#turn
      .then(() => this.checkpoint())
      .then((positions) => {
        if (positions.length > 0 && !this.destroyed && !this.writableFinished) this.push({ kind: 'settle', positions, outcome: 'staged' } satisfies SinkEvent);
      })
      .catch((err: unknown) => {
        this.destroy(err as Error);
      });
  }
}
