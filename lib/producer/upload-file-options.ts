/**
 * How `uploadFile` cuts and retries a file: a type, its frozen defaults and one check per option,
 * run once per call and by the command line's `--chunk_size` too (so the library refuses what
 * the flag refuses, with the same code).
 *
 * In: a partial options object (undefined takes the default). Out: the complete, frozen limits,
 * or an UploadError `ERR_INVALID_OPTION` whose context names the `option`.
 */
import { UploadError, type ErrorContext } from '../errors.js';
import { numberRule } from '../config/option-values.js';

export interface UploadFileLimits {
  /** Bytes per chunk: a power of two (OpenMSIStream's rule), at most MAX_CHUNK_SIZE. */
  chunkSize: number;
  /** Times a file that changes while it is sent is sent again from the start before ERR_FILE_CHANGED. */
  maxGenerations: number;
}

/** Keeps one chunk well inside a Kafka record. */
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;

export const UPLOAD_FILE_DEFAULTS: Readonly<UploadFileLimits> = Object.freeze({
  chunkSize: 524288,
  maxGenerations: 5,
});

const invalid = (message: string, context: ErrorContext): UploadError => new UploadError('ERR_INVALID_OPTION', message, context);

export const checkChunkSize = numberRule(
  `a power of two up to 64 MiB (${MAX_CHUNK_SIZE})`,
  (n) => Number.isSafeInteger(n) && n >= 1 && n <= MAX_CHUNK_SIZE && (n & (n - 1)) === 0,
  invalid,
);
export const checkMaxGenerations = numberRule('a whole number >= 1', (n) => Number.isSafeInteger(n) && n >= 1, invalid);

export function validateUploadFileLimits(options: Partial<UploadFileLimits>): Readonly<UploadFileLimits> {
  const d = UPLOAD_FILE_DEFAULTS;
  return Object.freeze({
    chunkSize: checkChunkSize(options.chunkSize ?? d.chunkSize, 'chunkSize'),
    maxGenerations: checkMaxGenerations(options.maxGenerations ?? d.maxGenerations, 'maxGenerations'),
  });
}
