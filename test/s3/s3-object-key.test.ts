/**
 * s3-object-key: `<topic>/<subdir>/<filename>`, `<topic>/<filename>` at the top level, the
 * reconstructed filename (with filename_append) as is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { s3ObjectKey } from '../../lib/s3/s3-object-key.js';

test('top-level file: <topic>/<filename>', () => {
  assert.equal(s3ObjectKey('raw-data', { relativeFilepath: 'x.dat' }), 'raw-data/x.dat');
});

test('nested file keeps its subdirectories with / separators', () => {
  assert.equal(s3ObjectKey('raw-data', { relativeFilepath: 'run 1/images/ä.tif' }), 'raw-data/run 1/images/ä.tif');
});

test('filename_append is part of the reconstructed name', () => {
  assert.equal(s3ObjectKey('t', { relativeFilepath: 'sub/a.tar_v2.gz' }), 't/sub/a.tar_v2.gz');
});
