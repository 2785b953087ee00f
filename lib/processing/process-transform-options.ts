/**
 * Limits of the ProcessTransform: a type, its frozen defaults and one check per option, which the
 * constructor runs once and the command line's `--n_threads` / `--max_attempts` run too.
 *
 * In: a partial options object (undefined fields take the default). Out: the complete, frozen
 * limits, or a ProcessingError `ERR_INVALID_OPTION` whose context names the `option`.
 */
import { ProcessingError, type ErrorContext } from '../errors.js';
import { numberRule } from '../config/option-values.js';

export interface ProcessTransformLimits {
  /** Files processed at once. */
  nThreads: number;
  /** Attempts per file before it is recorded as failed. */
  maxAttempts: number;
  /** First retry delay in ms; doubles each attempt. */
  backoffMs: number;
  /** Per-attempt time limit in ms (none when undefined). */
  timeoutMs?: number;
}

export const PROCESS_TRANSFORM_DEFAULTS: Readonly<ProcessTransformLimits> = Object.freeze({
  nThreads: 2,
  maxAttempts: 3,
  backoffMs: 500,
});

const invalid = (message: string, context: ErrorContext): ProcessingError => new ProcessingError('ERR_INVALID_OPTION', message, context);
const wholeAtLeastOne = (n: number): boolean => Number.isSafeInteger(n) && n >= 1;

export const checkNThreads = numberRule('a whole number >= 1', wholeAtLeastOne, invalid);
export const checkMaxAttempts = numberRule('a whole number >= 1', wholeAtLeastOne, invalid);
export const checkBackoffMs = numberRule('a number of milliseconds >= 0', (n) => Number.isFinite(n) && n >= 0, invalid);
export const checkTimeoutMs = numberRule('a number of milliseconds > 0', (n) => Number.isFinite(n) && n > 0, invalid);

export function validateProcessTransformLimits(options: Partial<ProcessTransformLimits>): Readonly<ProcessTransformLimits> {
  const d = PROCESS_TRANSFORM_DEFAULTS;
  return Object.freeze({
    nThreads: checkNThreads(options.nThreads ?? d.nThreads, 'nThreads'),
    maxAttempts: checkMaxAttempts(options.maxAttempts ?? d.maxAttempts, 'maxAttempts'),
    backoffMs: checkBackoffMs(options.backoffMs ?? d.backoffMs, 'backoffMs'),
    ...(options.timeoutMs !== undefined && { timeoutMs: checkTimeoutMs(options.timeoutMs, 'timeoutMs') }),
  });
}
