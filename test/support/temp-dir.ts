/**
 * The one temp-dir helper of the tests: a fresh directory under the OS temp dir, removed (with
 * everything in it) once the test ends, pass or fail, because the removal is registered with
 * `t.after` before the directory is handed out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What `tempDir` needs of a test context (node:test's `t`, or a suite's `after`). */
export interface AfterHook {
  after: (fn: () => Promise<void>) => void;
}

export async function tempDir(t: AfterHook, prefix = 'dfs-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
