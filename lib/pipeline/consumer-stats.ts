/**
 * Counts what the consumer did, for `check`, the progress line and the final summary. The
 * progress line's MiB/s is the rate of the last few seconds (RecentRate), not a whole-run average
 * that keeps falling while the consumer waits for records.
 */
import { RecentRate } from '../log/recent-rate.js';
import type { Settlement } from '../pipeline-events.js';

export class ConsumerStats {
  #processed = 0;
  #failed = 0;
  #mismatched = 0;
  #rejected = 0;
  #skipped = 0;
  #bytesProcessed = 0;
  #recent: string[] = [];
  readonly #readRate = new RecentRate(5000);

  record(s: Settlement): void {
    switch (s.outcome) {
      case 'processed':
        this.#processed++;
        if (s.file) this.#recent = [s.file.relativePath, ...this.#recent].slice(0, 10);
        break;
      case 'failed':
        this.#failed++;
        break;
      case 'mismatched_hash':
        this.#mismatched++;
        break;
      case 'rejected':
        if (!s.file) this.#rejected += s.positions.length;
        break;
      default:
        this.#skipped++;
    }
  }

  addBytes(bytes: number): void {
    this.#bytesProcessed += bytes;
  }

  totals(): { filesProcessed: number; filesFailed: number; filesMismatched: number; recordsRejected: number } {
    return { filesProcessed: this.#processed, filesFailed: this.#failed, filesMismatched: this.#mismatched, recordsRejected: this.#rejected };
  }

  describe(live: { recordsRead: number; inProgress: number; openPaths: string[] }): string {
    return [
      `messages read: ${live.recordsRead}`,
      `files processed: ${this.#processed}, failed: ${this.#failed}, mismatched hash: ${this.#mismatched}, bad records: ${this.#rejected}`,
      `files in progress: ${live.inProgress}${live.openPaths.length > 0 ? ` (${live.openPaths.slice(0, 5).join(', ')}${live.openPaths.length > 5 ? ', ...' : ''})` : ''}`,
      `recently processed: ${this.#recent.length > 0 ? this.#recent.join(', ') : '(none)'}`,
    ].join('\n');
  }

  /** The status line; each call is also a sample of the bytes read, for the recent rate. */
  progressLine(live: { bytesRead: number; inProgress: number; now?: number }): string {
    const now = live.now ?? Date.now();
    this.#readRate.sample(now, live.bytesRead);
    const rate = this.#readRate.perSecond(now) / 1048576;
    return `files done ${this.#processed}  in progress ${live.inProgress}  failed ${this.#failed}  read ${(live.bytesRead / 1048576).toFixed(1)} MiB  ${rate.toFixed(1)} MiB/s`;
  }
}
