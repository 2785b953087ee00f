/**
 * The processor every fault scenario runs (`datafile-stream process bench/faults/fault-processor.ts`).
 * Each successful call appends `relative path;sha512 hex;epoch ms;pid;attempt` to $RECORD_FILE,
 * so the oracle sees what was processed, with which bytes, how often and by which process.
 *
 * Behaviour per relative path, from comma-separated lists in the environment:
 *   POISON_PATHS     every attempt throws
 *   FLAKY_PATHS      the first two attempts (in this process) throw, the third succeeds
 *   HANG_PATHS       every attempt hangs (never settles)
 *   HANG_ONCE_PATHS  the first attempt hangs, the next one succeeds
 * SLOW_MS delays every successful call (paces a run so faults land mid-stream).
 */
import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { DataFileStreamProcessor, type DownloadDataFile, type Lock } from '../../lib/index.js';

function listed(name: string, path: string): boolean {
  return (process.env[name] ?? '').split(',').includes(path);
}

export default class FaultProcessor extends DataFileStreamProcessor {
  readonly #attempts = new Map<string, number>();

  async processDownloadedDataFile(file: DownloadDataFile, lock: Lock): Promise<Error | undefined> {
    const path = file.relativeFilepath;
    const attempt = (this.#attempts.get(path) ?? 0) + 1;
    this.#attempts.set(path, attempt);
    if (listed('POISON_PATHS', path)) throw new Error(`poison file ${path} (attempt ${attempt})`);
    if (listed('FLAKY_PATHS', path) && attempt <= 2) throw new Error(`flaky file ${path} (attempt ${attempt})`);
    if (listed('HANG_PATHS', path) || (listed('HANG_ONCE_PATHS', path) && attempt === 1)) return new Promise<undefined>(() => undefined);
    const slow = Number(process.env.SLOW_MS ?? 0);
    if (slow > 0) await new Promise((resolve) => setTimeout(resolve, slow));
    const sha = createHash('sha512').update(await file.read()).digest('hex');
    await lock.runExclusive(() => appendFileSync(process.env.RECORD_FILE!, `${path};${sha};${Date.now()};${process.pid};${attempt}\n`));
    return undefined;
  }
}
