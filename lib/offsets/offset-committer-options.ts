/**
 * The OffsetCommitter's timing: a type, its frozen defaults and one check per option, run once in
 * the constructor.
 *
 * In: a partial options object (undefined takes the default). Out: the complete, frozen limits,
 * or a DataFileStreamError `ERR_INVALID_OPTION` whose context names the `option`.
 */
import { DataFileStreamError, type ErrorContext } from '../errors.js';
import { numberRule } from '../config/option-values.js';

export interface OffsetCommitterLimits {
  /** Milliseconds between commits (one more is made at the end). */
  intervalMs: number;
  /** Least time between the starts of two flushes of processed rows. */
  processedFlushGapMs: number;
}

export const OFFSET_COMMITTER_DEFAULTS: Readonly<OffsetCommitterLimits> = Object.freeze({ intervalMs: 1000, processedFlushGapMs: 100 });

const invalid = (message: string, context: ErrorContext): DataFileStreamError => new DataFileStreamError('ERR_INVALID_OPTION', message, context);

export const checkIntervalMs = numberRule('a number of milliseconds > 0', (n) => Number.isFinite(n) && n > 0, invalid);
export const checkProcessedFlushGapMs = numberRule('a number of milliseconds >= 0', (n) => Number.isFinite(n) && n >= 0, invalid);

export function validateOffsetCommitterLimits(options: Partial<OffsetCommitterLimits>): Readonly<OffsetCommitterLimits> {
  const d = OFFSET_COMMITTER_DEFAULTS;
  return Object.freeze({
    intervalMs: checkIntervalMs(options.intervalMs ?? d.intervalMs, 'intervalMs'),
    processedFlushGapMs: checkProcessedFlushGapMs(options.processedFlushGapMs ?? d.processedFlushGapMs, 'processedFlushGapMs'),
  });
}
