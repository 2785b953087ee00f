/**
 * Turns whatever the AWS SDK threw (service errors, socket errors, timeouts, AggregateErrors
 * from connecting) into one S3Error ERR_S3_UPLOAD whose message says what went wrong in the
 * user's terms and what to check. The kind of failure is in `reason` for callers and tests:
 *
 *   unreachable      nothing answered at the endpoint (refused, reset, DNS, host down)
 *   timeout          the server accepted the connection but stopped answering
 *   access_denied    credentials refused or not allowed to write the bucket
 *   no_such_bucket   the bucket does not exist on that endpoint
 *   checksum         the server computed a different checksum than the one sent
 *   server           the server answered 5xx (overloaded, starting, internal error)
 *   rejected         any other refusal (4xx), with the server's own code and message
 *
 * The SDK's error stays as `cause`.
 */
import { S3Error } from '../errors.js';

export type S3FailureReason = 'unreachable' | 'timeout' | 'access_denied' | 'no_such_bucket' | 'checksum' | 'server' | 'rejected';

export interface S3FailureContext {
  bucket: string;
  key?: string;
  endpoint: string;
  /** What was being done, e.g. "upload" or "checking the bucket". */
  action: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const ACCESS_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden', 'ExpiredToken', 'InvalidToken', 'AllAccessDisabled', 'AccountProblem']);
const CHECKSUM_CODES = new Set(['BadDigest', 'InvalidDigest', 'XAmzContentChecksumMismatch', 'XAmzContentSHA256Mismatch', 'InvalidChecksum']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  errors?: unknown[];
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The first network-ish code found on the error, its AggregateError members or causes. */
function networkCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as SdkErrorShape;
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || TIMEOUT_CODES.has(e.code))) return e.code;
  for (const inner of e.errors ?? []) {
    const code = networkCode(inner, depth + 1);
    if (code) return code;
  }
  return networkCode(e.cause, depth + 1);
}

export function classifyS3Failure(err: unknown): { reason: S3FailureReason; s3Code: string | undefined; status: number | undefined } {
  const e = (err ?? {}) as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  const s3Code = e.Code ?? (typeof e.name === 'string' && e.name !== 'Error' ? e.name : undefined);
  const net = networkCode(err);
  let reason: S3FailureReason;
  if (s3Code && ACCESS_CODES.has(s3Code)) reason = 'access_denied';
  else if (s3Code === 'NoSuchBucket') reason = 'no_such_bucket';
  else if (s3Code && CHECKSUM_CODES.has(s3Code)) reason = 'checksum';
  else if ((s3Code && TIMEOUT_CODES.has(s3Code)) || (net && TIMEOUT_CODES.has(net))) reason = 'timeout';
  else if (net) reason = 'unreachable';
  else if (status === 403) reason = 'access_denied';
  else if (status !== undefined && status >= 500) reason = 'server';
  else if (status === undefined && /socket hang up|ECONNREFUSED|connect/i.test(e.message ?? '')) reason = 'unreachable';
  else reason = 'rejected';
  return { reason, s3Code: s3Code ?? net, status };
}

export function s3UploadError(err: unknown, ctx: S3FailureContext): S3Error {
  const { reason, s3Code, status } = classifyS3Failure(err);
  const where = `s3://${ctx.bucket}${ctx.key === undefined ? '' : `/${ctx.key}`}`;
  const detail = `${s3Code ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${(err as Error)?.message ?? String(err)}`;
  const text: Record<S3FailureReason, string> = {
    unreachable: `S3 endpoint ${ctx.endpoint} is unreachable (${detail}); is the server running and [s3] endpoint_url right?`,
    timeout: `S3 endpoint ${ctx.endpoint} stopped answering (${detail})`,
    access_denied: `S3 refused access to bucket "${ctx.bucket}" (${detail}); check [s3] access_key_id and secret_key_id and the key's permission to write the bucket`,
    no_such_bucket: `bucket "${ctx.bucket}" does not exist at ${ctx.endpoint}; create it or fix <bucket_name>`,
    checksum: `the server's SHA-256 checksum of the data differs from the one sent (${detail}); the data changed in transit`,
    server: `S3 endpoint ${ctx.endpoint} failed (${detail})`,
    rejected: `S3 refused the request (${detail})`,
  };
  return new S3Error('ERR_S3_UPLOAD', `${ctx.action} ${where} failed: ${text[reason]}`, { bucket: ctx.bucket, ...(ctx.key !== undefined && { path: ctx.key }), endpoint: ctx.endpoint, reason, s3Code, httpStatus: status }, err);
}
