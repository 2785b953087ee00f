/**
 * s3-bucket-name: S3's bucket rules, each refusal an ERR_S3_BUCKET_NAME that names the rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketNameProblem, validateBucketName } from '../../lib/s3/s3-bucket-name.js';
import { errorCodeOf, S3Error } from '../../lib/errors.js';

test('valid bucket names pass unchanged', () => {
  for (const name of ['abc', 'my-data.bucket-2', '0start', 'a'.repeat(63), 'lab.example.org', 'x1-y2']) {
    assert.equal(bucketNameProblem(name), undefined, name);
    assert.equal(validateBucketName(name), name);
  }
});

test('each broken rule is named in the message', () => {
  const cases: Array<[string, RegExp]> = [
    ['ab', /3 to 63 characters/],
    ['a'.repeat(64), /3 to 63 characters/],
    ['My-Bucket', /lowercase letters.*"M" at position 1/],
    ['under_score', /"_" at position 6/],
    ['has space', /" " at position 4/],
    ['-leading', /begin and end/],
    ['trailing.', /begin and end/],
    ['two..dots', /adjacent periods/],
    ['dot.-dash', /period next to a hyphen/],
    ['192.168.5.4', /IP address/],
    ['xn--bucket', /reserved prefix "xn--"/],
    ['sthree-data', /reserved prefix "sthree-"/],
    ['data-s3alias', /reserved suffix "-s3alias"/],
    ['data--ol-s3', /reserved suffix "--ol-s3"/],
  ];
  for (const [name, pattern] of cases) {
    assert.throws(
      () => validateBucketName(name),
      (err: unknown) => {
        assert.ok(err instanceof S3Error);
        assert.equal(errorCodeOf(err), 'ERR_S3_BUCKET_NAME');
        assert.match((err as Error).message, pattern);
        assert.ok((err as Error).message.includes(JSON.stringify(name)), 'the message quotes the name');
        assert.equal((err as S3Error & { option?: string }).option, 'bucket_name');
        return true;
      },
      name,
    );
  }
});
