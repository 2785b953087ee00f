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

/**
 * What memory mode keeps, out of its budget (`--memory_budget`), for what the pipeline holds
 * besides files: records read ahead and in flight, and the Buffers they leave behind until V8
 * collects them, which it does in steps of about 64 MiB of external memory. A quarter of the
 * budget, at most 64 MiB. Without it a file the size of the budget came on top of all that: the
 * benchmark's 256 MiB CSV files peaked at 378-400 MiB with the default 256 MiB budget.
 */
export const IN_FLIGHT_SHARE = 0.25;
export const IN_FLIGHT_MAX_BYTES = 64 * MEBIBYTE;

/** The bytes of files a memory budget lets MemoryBuffer hold: the budget less its in-flight share. */
export function fileBytesOfBudget(budgetBytes: number): number {
  return Math.max(1, Math.floor(budgetBytes - Math.min(IN_FLIGHT_MAX_BYTES, budgetBytes * IN_FLIGHT_SHARE)));
}

const invalid = (message: string, context: ErrorContext): DataFileStreamError => new DataFileStreamError('ERR_INVALID_OPTION', message, context);
const positive = (n: number): boolean => Number.isFinite(n) && n > 0;

export const checkMaxBytes = numberRule('a number of bytes > 0', positive, invalid);
/** The same rule in the unit the command line takes (`--memory_budget 256`). */
export const checkMaxMebibytes: OptionCheck<number> = numberRule('a number of MiB > 0', positive, invalid);

export function validateMemoryBufferLimits(options: Partial<MemoryBufferLimits>): Readonly<MemoryBufferLimits> {
  return Object.freeze({ maxBytes: checkMaxBytes(options.maxBytes ?? MEMORY_BUFFER_DEFAULTS.maxBytes, 'maxBytes') });
}
