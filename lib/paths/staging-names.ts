/**
 * Where the consumer keeps what is not finished yet: the staging directory beside the output
 * tree (partial files, the journal, failed files kept for --retry_failed), and the name of a
 * file's staging entry. Names derive from the file's identity and hash, so the same generation
 * written again after a restart lands on the same name and finds its earlier chunks there.
 */
import { createHash } from 'node:crypto';

export const STAGING_DIR_NAME = '.datafile-stream-staging';

export function stagingName(key: string, fileHashHex: string): string {
  return `${createHash('sha256').update(key).update('\0').update(fileHashHex).digest('hex').slice(0, 40)}.part`;
}
