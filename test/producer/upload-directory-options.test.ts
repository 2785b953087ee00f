/** DirectoryUploader's options: one frozen default and one check each, shared with upload-directory's flags. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DirectoryUploader } from '../../lib/producer/upload-directory.js';
import { DIRECTORY_UPLOADER_DEFAULTS, validateDirectoryUploaderLimits } from '../../lib/producer/upload-directory-options.js';
import { uploadDirectoryParser } from '../../lib/cli/commands/upload-directory.js';
import { silent } from '../support/silent-logger.js';

// Producer and registry are never reached: the constructor checks its options first.
const base = { root: '/nonexistent', producer: undefined as never, registry: undefined as never, logger: silent };

test('defaults are frozen, and the flags default to the same values', () => {
  assert.ok(Object.isFrozen(DIRECTORY_UPLOADER_DEFAULTS));
  assert.deepEqual({ ...validateDirectoryUploaderLimits({}) }, { nThreads: 2, watchdogLagTime: 3, pollInterval: 500 });
  const args = uploadDirectoryParser.parse(['d']);
  assert.equal(args.n_threads, DIRECTORY_UPLOADER_DEFAULTS.nThreads);
  assert.equal(args.watchdog_lag_time, DIRECTORY_UPLOADER_DEFAULTS.watchdogLagTime);
});

test('the constructor refuses a bad option, naming it, with the code the flag gives', () => {
  const cases = [['nThreads', 0], ['nThreads', 2.5], ['watchdogLagTime', -1], ['pollInterval', 0], ['chunkSize', 1000]] as const;
  for (const [option, value] of cases) {
    assert.throws(() => new DirectoryUploader({ ...base, [option]: value }), { name: 'UploadError', code: 'ERR_INVALID_OPTION', option });
  }
  assert.throws(() => uploadDirectoryParser.parse(['d', '--n_threads', '0']), { code: 'ERR_INVALID_OPTION', option: 'n_threads' });
  assert.throws(() => uploadDirectoryParser.parse(['d', '--chunk_size', '3000']), { code: 'ERR_INVALID_OPTION', option: 'chunk_size' });
});
