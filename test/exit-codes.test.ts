/** Exit codes of finished runs: 128+n after a signal, 4 when files failed, else 0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT_FILES_FAILED, EXIT_OK, exitCodeForSignal, exitCodeOfRun } from '../lib/exit-codes.js';

test('a signal gives 128+n, failures 4, else 0', () => {
  assert.equal(exitCodeForSignal('SIGINT'), 130);
  assert.equal(exitCodeForSignal('SIGTERM'), 143);
  assert.equal(exitCodeForSignal('idle'), undefined);
  assert.equal(exitCodeOfRun({ stoppedBy: 'idle', failures: 0 }), EXIT_OK);
  assert.equal(exitCodeOfRun({ stoppedBy: 'idle', failures: 2 }), EXIT_FILES_FAILED);
  assert.equal(exitCodeOfRun({ stoppedBy: 'SIGTERM', failures: 2 }), 143, 'the signal wins: the shell must see the run was stopped');
});
