/**
 * How the composed pipeline stops, with one rule per reason:
 *
 * - A user's stop (the AbortSignal, `q`, a signal): the source stops fetching and only the files
 *   already in processing finish; what was read ahead is left unsettled, so the committed offsets
 *   stay below it and the next run reads it again (a `journaled` file is processed anyway, see
 *   ProcessTransform).
 * - The idle stop (`untilIdle`): idle means "done", so the source pushes everything it read and
 *   all of it is processed. A user's stop during that drain turns it prompt.
 * - Either way, once stopping, the files waited for are logged every 5 s. After
 *   `shutdownTimeoutMs` the run is abandoned: `abort()` is called, which aborts the pipeline
 *   (unfinished files were never committed either).
 */
import type { Logger } from 'pino';
import type { KafkaSource } from '../source/kafka-source.js';
import type { ProcessTransform } from '../processing/process-transform.js';

/** How long a stop waits for the files in processing before it abandons them (they stay uncommitted). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

export interface StopperParts {
  source: KafkaSource;
  processing: ProcessTransform;
  logger: Logger;
  shutdownTimeoutMs?: number;
  /** Abandons the run once the shutdown timeout passed. */
  abort: () => void;
}

export class PipelineStopper {
  readonly #p: StopperParts;
  #stopping: Promise<void> | undefined;
  #prompt = false;
  #reason: string | undefined;

  constructor(parts: StopperParts) {
    this.#p = parts;
  }

  /** Why the pipeline stopped (undefined: it was not stopped, its input ended). */
  get reason(): string | undefined {
    return this.#reason;
  }

  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  /** `idle` drains what was read; any other reason finishes only the files in processing. */
  stop(reason: string): Promise<void> {
    const { logger } = this.#p;
    const drain = reason === 'idle';
    if (this.#stopping) {
      // A user's stop during the idle drain: do not make them wait for the whole read-ahead.
      if (!drain && !this.#prompt) {
        logger.info({ reason }, 'stopping now: finishing only the files in processing (what was read ahead is read again next run)');
        void this.#finishProcessingOnly().catch(() => undefined);
      }
      return this.#stopping;
    }
    this.#reason = reason;
    if (drain) logger.info({ reason }, 'stopping: no more fetching; processing everything that was read');
    else logger.info({ reason }, 'stopping: no more fetching; finishing the files in processing (what was read ahead is read again next run)');
    const deadline = setTimeout(() => {
      logger.warn('shutdown timeout: abandoning unfinished work (it was not committed and will be read again)');
      this.#p.abort();
    }, this.#p.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    this.#logWaiting();
    const reminder = setInterval(() => this.#logWaiting(), 5000);
    reminder.unref();
    this.#stopping = (drain ? this.#p.source.stop({ drain: true }) : this.#finishProcessingOnly()).then(
      () => clearInterval(reminder),
      (err: unknown) => {
        clearInterval(reminder);
        logger.debug({ err }, 'stopping the source failed');
      },
    );
    return this.#stopping;
  }

  /** From now on only the files in processing finish; the read-ahead is left to the next run. */
  #finishProcessingOnly(): Promise<void> {
    this.#prompt = true;
    // Processing first: a file that reaches it while the source stops is read-ahead, not started.
    const processed = this.#p.processing.stop();
    return Promise.all([this.#p.source.stop(), processed]).then(() => undefined);
  }

  #logWaiting(): void {
    const paths = this.#p.processing.inProcessing;
    if (paths.length === 0) return;
    this.#p.logger.info({ files: paths.length }, `waiting for ${paths.length} file${paths.length === 1 ? '' : 's'} in processing: ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', ...' : ''}`);
  }
}
