/**
 * Where a reconstructed file goes in the bucket: `<topic>/<subdir>/<filename>`, or
 * `<topic>/<filename>` for a file at the top of the uploaded tree (OpenMSIStream's
 * S3TransferStreamProcessor layout). The filename is the reconstructed one, so it already
 * carries any `filename_append`; subdirectories keep their `/` separators.
 */
import type { DownloadDataFile } from '../download-data-file.js';

export function s3ObjectKey(topic: string, file: Pick<DownloadDataFile, 'relativeFilepath'>): string {
  return `${topic}/${file.relativeFilepath}`;
}
