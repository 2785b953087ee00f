/**
 * s3-upload-error: SDK failures become ERR_S3_UPLOAD with a `reason` and a message that says
 * what to check; the SDK error is kept as `cause`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyS3Failure, s3UploadError } from '../../lib/s3/s3-upload-error.js';

const service = (name: string, status: number): Error => Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode: status } });
const ctx = { bucket: 'b', key: 't/x.dat', endpoint: 'http://127.0.0.1:1', action: 'uploading' };

test('service errors by code', () => {
  assert.equal(classifyS3Failure(service('InvalidAccessKeyId', 403)).reason, 'access_denied');
  assert.equal(classifyS3Failure(service('SignatureDoesNotMatch', 403)).reason, 'access_denied');
  assert.equal(classifyS3Failure(service('AccessDenied', 403)).reason, 'access_denied');
  assert.equal(classifyS3Failure(service('NoSuchBucket', 404)).reason, 'no_such_bucket');
  assert.equal(classifyS3Failure(service('BadDigest', 400)).reason, 'checksum');
  assert.equal(classifyS3Failure(service('XAmzContentChecksumMismatch', 400)).reason, 'checksum');
  assert.equal(classifyS3Failure(service('InternalError', 500)).reason, 'server');
  assert.equal(classifyS3Failure(service('SlowDown', 503)).reason, 'server');
  assert.equal(classifyS3Failure(service('InvalidArgument', 400)).reason, 'rejected');
  assert.equal(classifyS3Failure(service('UnknownError', 403)).reason, 'access_denied', 'a bare 403 (HEAD has no body) is access');
});

test('network errors: refused and reset are unreachable, even inside an AggregateError', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  assert.equal(classifyS3Failure(refused).reason, 'unreachable');
  assert.equal(classifyS3Failure(new AggregateError([refused], '')).reason, 'unreachable');
  assert.equal(classifyS3Failure(Object.assign(new Error('wrapped'), { cause: refused })).reason, 'unreachable');
  assert.equal(classifyS3Failure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).reason, 'unreachable');
});

test('timeouts', () => {
  assert.equal(classifyS3Failure(Object.assign(new Error('the request socket timed out'), { name: 'TimeoutError' })).reason, 'timeout');
  assert.equal(classifyS3Failure(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })).reason, 'timeout');
});

test('the message names the object, the endpoint and what to check', () => {
  const err = s3UploadError(service('InvalidAccessKeyId', 403), ctx);
  assert.equal(err.code, 'ERR_S3_UPLOAD');
  assert.match(err.message, /^uploading s3:\/\/b\/t\/x\.dat failed: S3 refused access to bucket "b" \(InvalidAccessKeyId \(HTTP 403\)/);
  assert.match(err.message, /access_key_id and secret_key_id/);
  assert.equal((err as unknown as { reason: string }).reason, 'access_denied');
  assert.equal((err as unknown as { path: string }).path, 't/x.dat');
  assert.ok(err.cause instanceof Error);
  const down = s3UploadError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), ctx);
  assert.match(down.message, /http:\/\/127\.0\.0\.1:1 is unreachable .*is the server running/);
  assert.match(s3UploadError(service('NoSuchBucket', 404), ctx).message, /bucket "b" does not exist at http:\/\/127\.0\.0\.1:1/);
  assert.deepEqual(JSON.parse(JSON.stringify(err)).reason, 'access_denied', 'serializable with its context');
});
