import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_UPLOAD_REGEX } from '../../../lib/cli/commands/upload-directory.js';

test('the default upload regex skips hidden and .log files only', () => {
  const re = new RegExp(DEFAULT_UPLOAD_REGEX);
  for (const name of ['catalog.csv', 'blog.txt', 'a.log.txt', 'run_42.h5', 'données.csv']) assert.ok(re.test(name), name);
  for (const name of ['.hidden', '.DS_Store', 'upload.log', 'x.tmp.log']) assert.ok(!re.test(name), name);
});
