/**
 * ProcessTransform: runs the processing function on each verified file, `nThreads` at a time.
 *
 * In: SinkEvents (ready files, and settlements that just pass through). Out: one Settlement per
 * file: `processed`, or `failed` once `maxAttempts` attempts failed (a thrown error counts as a
 * returned one; attempts are spaced by exponential backoff; `timeoutMs` turns a hung attempt into
 * a failed one so other files keep flowing).
 *
 * Backpressure: with `nThreads` files in processing, the write callback is held until one
 * finishes, so upstream buffers fill and the Kafka source stops fetching. End of input: `_flush`
 * waits for every file in processing.
 *
 * Stopping (`stop()`): the files in processing finish (a failed attempt is not retried then);
 * every file that arrives afterwards is read-ahead, so it is passed on as `skipped` with no
 * positions: its records stay unsettled, are not committed, and the next run reads them again.
 * That keeps a stop as long as the slowest file in processing, not the whole read-ahead.
 * Except a `journaled` file: some of its records were committed already (settled as `staged`
 * while its chunks were durable in the staging journal). The journal keeps it until it settles,
 * so a crash loses nothing, but left unprocessed at a stop it would sit in staging until the next
 * run; it is processed, with its retries, even after `stop()`; only an abort gives it up (and
 * the next run finds it in the journal).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Logger } from 'pino';
import { errorCodeOf, ProcessingError } from '../errors.js';
import { crashPoint } from '../faults/crash-point.js';
import type { DownloadDataFile } from '../download-data-file.js';
import type { FileRef, ReadyFile, SinkEvent, Settlement } from '../pipeline-events.js';
import { validateProcessTransformLimits, type ProcessTransformLimits } from './process-transform-options.js';

export type ProcessFn = (file: DownloadDataFile) => Promise<Error | undefined | null | void>;

/** The limits (nThreads, maxAttempts, backoffMs, timeoutMs) and their defaults: process-transform-options.ts. */
export interface ProcessTransformOptions extends Partial<ProcessTransformLimits> {
  process: ProcessFn;
  /** Called once a file has failed for good (the processor's failedProcessingCallback). */
  onFailed?: (file: DownloadDataFile, error: Error, ref: FileRef) => Promise<void> | void;
  logger: Logger;
  signal?: AbortSignal;
}

export class ProcessTransform extends Transform {
  readonly #o: ProcessTransformOptions & Readonly<ProcessTransformLimits>;
  /** Each file in processing, by its job, with its relative path (for the shutdown log). */
  readonly #running = new Map<Promise<void>, string>();
  #waitingForSlot: (() => void) | undefined;
  #stopping = false;
  /** Wakes retry backoffs at `stop()`. */
  readonly #stopped = new AbortController();

  constructor(options: ProcessTransformOptions) {
    super({ objectMode: true, highWaterMark: 4 });
    this.#o = { ...options, ...validateProcessTransformLimits(options) };
  }

  get inProgress(): number {
    return this.#running.size;
  }

  /** Relative paths of the files in processing now. */
  get inProcessing(): string[] {
    return [...this.#running.values()];
  }

  /**
   * Finish only the files in processing; files arriving from now on are left unsettled for the
   * next run. Resolves once the files in processing are settled (pushed on).
   */
  stop(): Promise<void> {
    this.#stopping = true;
    this.#stopped.abort();
    return Promise.all([...this.#running.keys()]).then(() => undefined);
  }

  override _transform(event: SinkEvent, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (event.kind !== 'file') {
      callback(null, event);
      return;
    }
    if (this.#stopping && event.journaled !== true) {
      event.release();
      callback(null, { kind: 'settle', positions: [], outcome: 'skipped', file: event.ref } satisfies Settlement);
      return;
    }
    const job = this.#processFile(event).then((settlement) => {
      this.#running.delete(job);
      this.push(settlement);
      const wake = this.#waitingForSlot;
      this.#waitingForSlot = undefined;
      wake?.();
    });
    this.#running.set(job, event.ref.relativePath);
    if (this.#running.size < this.#o.nThreads) callback();
    else this.#waitingForSlot = () => callback();
  }

  override _flush(callback: TransformCallback): void {
    Promise.all([...this.#running.keys()]).then(() => callback(), callback);
  }

  async #processFile(ready: ReadyFile): Promise<Settlement> {
    const { file } = ready;
    const log = this.#o.logger.child({ file: file.relativeFilepath });
    let lastError: Error | undefined; // set by the first failed attempt (an Error per file costs its stack trace)
    let abandoned = false;
    try {
      for (let attempt = 1; attempt <= this.#o.maxAttempts; attempt++) {
        const error = await this.#attempt(file);
        if (!error) {
          crashPoint('after-processing');
          log.debug({ attempt }, 'processed');
          return { kind: 'settle', positions: ready.positions, outcome: 'processed', file: ready.ref };
        }
        lastError = error;
        log.warn({ attempt, code: errorCodeOf(error), err: error }, `processing attempt ${attempt}/${this.#o.maxAttempts} failed: ${error.message}`);
        if (attempt === this.#o.maxAttempts) break;
        if (!this.#abandoning(ready)) await delay(this.#o.backoffMs * 2 ** (attempt - 1), [this.#o.signal, ready.journaled === true ? undefined : this.#stopped.signal]);
        if ((abandoned = this.#abandoning(ready))) break;
      }
      if (abandoned) {
        // Shutting down, not failing: the file was not committed and is read again next run.
        log.info('processing abandoned at shutdown; the file will be read again');
        return { kind: 'settle', positions: [], outcome: 'skipped', file: ready.ref };
      }
      lastError ??= new ProcessingError('ERR_PROCESSING_FAILED', 'not attempted');
      log.error({ code: errorCodeOf(lastError) }, `processing failed for good: ${lastError.message}`);
      try {
        await this.#o.onFailed?.(file, lastError, ready.ref);
      } catch (err) {
        log.error({ err }, 'failedProcessingCallback threw');
      }
      return { kind: 'settle', positions: ready.positions, outcome: 'failed', file: ready.ref, error: lastError };
    } finally {
      ready.release();
    }
  }

  /**
   * A failed attempt is not retried: the pipeline is being aborted, or stopping (unless the file
   * is `journaled`: given up, it would be lost, not read again).
   */
  #abandoning(ready: ReadyFile): boolean {
    return (this.#stopping && ready.journaled !== true) || this.#o.signal?.aborted === true;
  }

  async #attempt(file: DownloadDataFile): Promise<Error | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = Promise.resolve().then(() => {
        crashPoint('in-processing');
        return this.#o.process(file);
      });
      const limit = this.#o.timeoutMs;
      const result = limit === undefined
        ? await work
        : await Promise.race([
            work,
            new Promise<Error>((resolve) => {
              timer = setTimeout(() => resolve(new ProcessingError('ERR_PROCESSING_TIMEOUT', `processing took longer than ${limit} ms`, { path: file.relativeFilepath })), limit);
            }),
          ]);
      if (result === undefined || result === null) return undefined;
      return result instanceof Error ? result : new ProcessingError('ERR_PROCESSING_FAILED', String(result), { path: file.relativeFilepath });
    } catch (err) {
      return err instanceof Error ? err : new ProcessingError('ERR_PROCESSING_FAILED', String(err), { path: file.relativeFilepath });
    } finally {
      clearTimeout(timer);
    }
  }
}

function delay(ms: number, signals: Array<AbortSignal | undefined>): Promise<void> {
  return new Promise((resolve) => {
    // The listeners go when the delay ends either way: one per retry would pile up on a
    // signal that lives as long as the consumer.
    const done = (): void => {
      clearTimeout(timer);
      for (const signal of signals) signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const signal of signals) signal?.addEventListener('abort', done, { once: true });
  });
}
