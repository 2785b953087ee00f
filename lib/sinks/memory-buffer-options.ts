/**
 * The MemoryBuffer's byte budget: a type, its frozen default and the one check that the
 * constructor runs once and the command line's `--memory_budget` (in MiB) runs too.
 *
 * In: a partial options object (undefined takes the default). Out: the complete, frozen limits,
 * or a DataFileStreamError `ERR_INVALID_OPTION` whose context names the `option`.
 */
import { DataFileStreamError, type ErrorContext } from '../errors.js';
import { numberRule, type OptionCheck } from '../config/option-values.js';

export interface MemoryBufferLimits {
  /** Bytes of file data held in memory at most; a file that does not fit is spilled to disk staging. */
  maxBytes: number;
}

export const MEBIBYTE = 1024 * 1024;

export const MEMORY_BUFFER_DEFAULTS: Readonly<MemoryBufferLimits> = Object.freeze({
  maxBytes: 256 * MEBIBYTE,
});

const invalid = (message: string, context: ErrorContext): DataFileStreamError => new DataFileStreamError('ERR_INVALID_OPTION', message, context);
const positive = (n: number): boolean => Number.isFinite(n) && n > 0;

export const checkMaxBytes = numberRule('a number of bytes > 0', positive, invalid);
/** The same rule in the unit the command line takes (`--memory_budget 256`). */
export const checkMaxMebibytes: OptionCheck<number> = numberRule('a number of MiB > 0', positive, invalid);

export function validateMemoryBufferLimits(options: Partial<MemoryBufferLimits>): Readonly<MemoryBufferLimits> {
  return Object.freeze({ maxBytes: checkMaxBytes(options.maxBytes ?? MEMORY_BUFFER_DEFAULTS.maxBytes, 'maxBytes') });
}
