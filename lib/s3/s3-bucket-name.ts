/**
 * Bucket-name validation for `s3-transfer <bucket_name>`, run once before anything connects,
 * so a typo is a clear ERR_S3_BUCKET_NAME naming the broken rule rather than a 400 from the
 * server after the first file was consumed.
 *
 * The rules are Amazon S3's general-purpose bucket rules; MinIO and the other S3-compatible
 * servers accept a subset of what they refuse, so a name that passes here works everywhere.
 */
import { S3Error } from '../errors.js';

const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Why `name` is not a valid bucket name, or undefined when it is. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `must be 3 to 63 characters long (it has ${name.length})`;
  const bad = /[^a-z0-9.-]/.exec(name);
  if (bad) return `may contain only lowercase letters, digits, "." and "-" (found ${JSON.stringify(bad[0])} at position ${bad.index + 1})`;
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a lowercase letter or a digit';
  if (name.includes('..')) return 'must not contain two adjacent periods';
  if (name.includes('.-') || name.includes('-.')) return 'must not have a period next to a hyphen';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not be formatted as an IP address';
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `must not begin with the reserved prefix "${prefix}"`;
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `must not end with the reserved suffix "${suffix}"`;
  return undefined;
}

/** Throws S3Error ERR_S3_BUCKET_NAME, naming the rule, when `name` is not a valid bucket name. */
export function validateBucketName(name: string): string {
  const problem = bucketNameProblem(name);
  if (problem !== undefined) {
    throw new S3Error('ERR_S3_BUCKET_NAME', `invalid S3 bucket name ${JSON.stringify(name)}: a bucket name ${problem}`, { option: 'bucket_name', bucket: name });
  }
  return name;
}
