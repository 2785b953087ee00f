/**
 * The S3 transfer's settings: a type, frozen defaults and one check per option, run once by the
 * processor's constructor and by the flags (`--part_size`, `--upload_concurrency`, `--s3_timeout`).
 *
 * In: a partial settings object (undefined takes the default). Out: the complete, frozen settings,
 * or an S3Error `ERR_INVALID_OPTION` whose context names the `option`.
 */
import { S3Error, type ErrorContext } from '../errors.js';
import { numberRule } from '../config/option-values.js';
import { validateBucketName } from './s3-bucket-name.js';

/** S3's multipart limits: parts of 5 MiB to 5 GiB (the last part may be smaller). */
export const MIN_PART_MB = 5;
export const MAX_PART_MB = 5 * 1024;

export interface S3TransferSettings {
  /** The bucket the files go to (it must exist). */
  bucketName: string;
  /** MiB per part of a multipart upload. */
  partSizeMb: number;
  /** Parts of one file sent at once. */
  uploadConcurrency: number;
  /** Seconds a request may sit idle before it fails. */
  s3Timeout: number;
}

export const S3_TRANSFER_DEFAULTS: Readonly<Omit<S3TransferSettings, 'bucketName'>> = Object.freeze({
  partSizeMb: 8,
  uploadConcurrency: 2,
  s3Timeout: 60,
});

const invalid = (message: string, context: ErrorContext): S3Error => new S3Error('ERR_INVALID_OPTION', message, context);
const wholeIn = (min: number, max: number) => (n: number): boolean => Number.isInteger(n) && n >= min && n <= max;

export const checkPartSizeMb = numberRule(`a whole number of MiB from ${MIN_PART_MB} to ${MAX_PART_MB}`, wholeIn(MIN_PART_MB, MAX_PART_MB), invalid);
export const checkUploadConcurrency = numberRule('a whole number from 1 to 64', wholeIn(1, 64), invalid);
export const checkS3Timeout = numberRule('a number of seconds > 0', (n) => Number.isFinite(n) && n > 0, invalid);

export function validateS3TransferSettings(options: Partial<S3TransferSettings>): Readonly<S3TransferSettings> {
  const d = S3_TRANSFER_DEFAULTS;
  return Object.freeze({
    bucketName: validateBucketName(options.bucketName ?? ''),
    partSizeMb: checkPartSizeMb(options.partSizeMb ?? d.partSizeMb, 'partSizeMb'),
    uploadConcurrency: checkUploadConcurrency(options.uploadConcurrency ?? d.uploadConcurrency, 'uploadConcurrency'),
    s3Timeout: checkS3Timeout(options.s3Timeout ?? d.s3Timeout, 's3Timeout'),
  });
}
