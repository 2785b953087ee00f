/**
 * How long a partial file waits before the sinks stage it (write it to the staging directory,
 * fsync it and journal it, so its records can be committed): a type, its frozen default and the
 * one check, run once by each sink and by the staging area it builds.
 *
 * In: a partial options object (undefined takes the default). Out: the complete, frozen limits,
 * or a DataFileStreamError `ERR_INVALID_OPTION` whose context names the `option`.
 */
import { DataFileStreamError, type ErrorContext } from '../errors.js';
import { numberRule } from '../config/option-values.js';

export interface StagingLimits {
  /** Milliseconds a partial file stays unstaged (its records uncommitted) before it is staged. */
  stageAfterMs: number;
}

export const STAGING_DEFAULTS: Readonly<StagingLimits> = Object.freeze({ stageAfterMs: 5000 });

const invalid = (message: string, context: ErrorContext): DataFileStreamError => new DataFileStreamError('ERR_INVALID_OPTION', message, context);

export const checkStageAfterMs = numberRule('a number of milliseconds >= 0', (n) => Number.isFinite(n) && n >= 0, invalid);

export function validateStagingLimits(options: Partial<StagingLimits>): Readonly<StagingLimits> {
  return Object.freeze({ stageAfterMs: checkStageAfterMs(options.stageAfterMs ?? STAGING_DEFAULTS.stageAfterMs, 'stageAfterMs') });
}
