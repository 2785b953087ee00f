import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPartSizeMb, checkS3Timeout, checkUploadConcurrency, S3_TRANSFER_DEFAULTS, validateS3TransferSettings } from '../../lib/s3/s3-transfer-options.js';
import { S3TransferStreamProcessor } from '../../lib/programs/s3-transfer-stream-processor.js';

test('undefined settings take the frozen defaults; the result is frozen', () => {
  const s = validateS3TransferSettings({ bucketName: 'my-bucket' });
  assert.deepEqual({ ...s }, { bucketName: 'my-bucket', partSizeMb: 8, uploadConcurrency: 2, s3Timeout: 60 });
  assert.ok(Object.isFrozen(s) && Object.isFrozen(S3_TRANSFER_DEFAULTS));
});

test('each setting out of range is ERR_INVALID_OPTION naming it', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ partSizeMb: 4 }, 'partSizeMb'],
    [{ partSizeMb: 5121 }, 'partSizeMb'],
    [{ partSizeMb: 6.5 }, 'partSizeMb'],
    [{ uploadConcurrency: 0 }, 'uploadConcurrency'],
    [{ uploadConcurrency: 65 }, 'uploadConcurrency'],
    [{ s3Timeout: 0 }, 's3Timeout'],
    [{ s3Timeout: Number.NaN }, 's3Timeout'],
  ];
  for (const [bad, option] of cases) {
    assert.throws(() => validateS3TransferSettings({ bucketName: 'my-bucket', ...bad }), { code: 'ERR_INVALID_OPTION', option }, JSON.stringify(bad));
  }
  assert.throws(() => validateS3TransferSettings({ bucketName: 'Not_A_Bucket' }), { code: 'ERR_S3_BUCKET_NAME' });
});

test('the flags take the same defaults and run the same checks', () => {
  const defs = new Map(S3TransferStreamProcessor.getCommandLineArguments().map((d) => [d.name, d]));
  assert.equal(defs.get('part_size')?.default, S3_TRANSFER_DEFAULTS.partSizeMb);
  assert.equal(defs.get('upload_concurrency')?.default, S3_TRANSFER_DEFAULTS.uploadConcurrency);
  assert.equal(defs.get('s3_timeout')?.default, S3_TRANSFER_DEFAULTS.s3Timeout);
  assert.equal(defs.get('part_size')?.check, checkPartSizeMb);
  assert.equal(defs.get('upload_concurrency')?.check, checkUploadConcurrency);
  assert.equal(defs.get('s3_timeout')?.check, checkS3Timeout);
  assert.throws(() => checkPartSizeMb(3, 'part_size'), { code: 'ERR_INVALID_OPTION', option: 'part_size', message: /part_size must be a whole number of MiB from 5 to 5120, got 3/ });
});
