/**
 * When chunks are verified by their file's hash (disk mode, lib/sinks/disk-sink.ts), a record
 * whose data is not used for any file (a copy of a finished file, a path filtered out or
 * processed before) never takes part in a file hash. Its own chunk hash is checked here instead,
 * off the main thread, so a corrupt record is still found and recorded as rejected. Such records
 * are few (they come after restarts and rebalances, or for filtered paths).
 *
 * The verdict comes later than the record: `idle()` resolves once every check has reported.
 */
import type { DataFileStreamError } from '../errors.js';
import { verifyChunkHash } from '../codec/chunk-codec.js';
import type { DataFileChunk } from '../types.js';

export class UnusedRecordChecks {
  readonly #pending = new Set<Promise<void>>();

  /** Calls `done()` once `chunk` checked out, `done(error)` with ERR_CHUNK_HASH_MISMATCH when not. */
  check(chunk: DataFileChunk, done: (error?: DataFileStreamError) => void): void {
    const check = verifyChunkHash(chunk).then(
      () => done(),
      (error: DataFileStreamError) => done(error),
    );
    this.#pending.add(check);
    void check.finally(() => this.#pending.delete(check));
  }

  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }
}
