/**
 * The DirectoryUploader's pace: a type, its frozen defaults and one check per option, run once in
 * the constructor and by the command line's `--n_threads` / `--watchdog_lag_time` too. The chunk
 * size is uploadFile's option and checked by its rule (upload-file-options.ts).
 *
 * In: a partial options object (undefined takes the default). Out: the complete, frozen limits,
 * or an UploadError `ERR_INVALID_OPTION` whose context names the `option`.
 */
import { UploadError, type ErrorContext } from '../errors.js';
import { numberRule } from '../config/option-values.js';

export interface DirectoryUploaderLimits {
  /** Files read at once (a sent file waits for its acknowledgements without holding one). */
  nThreads: number;
  /** Seconds a file must stay unchanged before it is sent. */
  watchdogLagTime: number;
  /** Milliseconds between scans of the tree. */
  pollInterval: number;
}

export const DIRECTORY_UPLOADER_DEFAULTS: Readonly<DirectoryUploaderLimits> = Object.freeze({
  nThreads: 2,
  watchdogLagTime: 3,
  pollInterval: 500,
});

const invalid = (message: string, context: ErrorContext): UploadError => new UploadError('ERR_INVALID_OPTION', message, context);

export const checkUploadThreads = numberRule('a whole number >= 1', (n) => Number.isSafeInteger(n) && n >= 1, invalid);
export const checkWatchdogLagTime = numberRule('a number of seconds >= 0', (n) => Number.isFinite(n) && n >= 0, invalid);
export const checkPollInterval = numberRule('a number of milliseconds > 0', (n) => Number.isFinite(n) && n > 0, invalid);

export function validateDirectoryUploaderLimits(options: Partial<DirectoryUploaderLimits>): Readonly<DirectoryUploaderLimits> {
  const d = DIRECTORY_UPLOADER_DEFAULTS;
  return Object.freeze({
    nThreads: checkUploadThreads(options.nThreads ?? d.nThreads, 'nThreads'),
    watchdogLagTime: checkWatchdogLagTime(options.watchdogLagTime ?? d.watchdogLagTime, 'watchdogLagTime'),
    pollInterval: checkPollInterval(options.pollInterval ?? d.pollInterval, 'pollInterval'),
  });
}
