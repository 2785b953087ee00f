import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UploadProgress } from '../../lib/producer/upload-progress.js';

const MiB = 1048576;

test('the uploaders\' status line: counts, MiB sent and the rate of the last seconds', () => {
  const progress = new UploadProgress();
  let line = '';
  for (let t = 0; t <= 10_000; t += 500) line = progress.line({ filesDone: t / 500, inProgress: 2, queued: 5, failed: 0, bytesSent: (t / 1000) * 4 * MiB }, t);
  assert.equal(line, 'files done 20  in progress 2  queued 5  failed 0  sent 40.0 MiB  4.0 MiB/s');
  for (let t = 10_500; t <= 16_000; t += 500) line = progress.line({ filesDone: 20, inProgress: 0, bytesSent: 40 * MiB }, t);
  assert.equal(line, 'files done 20  in progress 0  sent 40.0 MiB  0.0 MiB/s');
});
