/**
 * Counts what the consumer did, for `check`, the progress line and the final summary.
 */
import type { Settlement } from './pipeline-events.js';

export class ConsumerStats {
  #processed = 0;
  #failed = 0;
  #mismatched = 0;
  #rejected = 0;
  #skipped = 0;
  #bytesProcessed = 0;
  #recent: string[] = [];

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

  progressLine(live: { bytesRead: number; inProgress: number; elapsedMs: number }): string {
    const mib = live.bytesRead / 1048576;
    const rate = live.elapsedMs > 0 ? mib / (live.elapsedMs / 1000) : 0;
    return `files done ${this.#processed}  in progress ${live.inProgress}  failed ${this.#failed}  read ${mib.toFixed(1)} MiB  ${rate.toFixed(1)} MiB/s   `;
  }
}
