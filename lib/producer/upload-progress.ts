/**
 * The uploaders' status line text: files done, in progress, queued, failed, MiB sent and the
 * rate of the last few seconds (RecentRate, so a stalled broker shows as a falling rate at once
 * and an idle watcher as 0, not as a slowly decaying average). Each call is a sample.
 */
import { RecentRate } from '../log/recent-rate.js';

export interface UploadProgressCounts {
  filesDone: number;
  inProgress: number;
  queued?: number;
  failed?: number;
  /** Bytes of chunks handed to the producer so far. */
  bytesSent: number;
}

export class UploadProgress {
  readonly #rate = new RecentRate(5000);

  line(counts: UploadProgressCounts, now = Date.now()): string {
    this.#rate.sample(now, counts.bytesSent);
    const parts = [`files done ${counts.filesDone}`, `in progress ${counts.inProgress}`];
    if (counts.queued !== undefined) parts.push(`queued ${counts.queued}`);
    if (counts.failed !== undefined) parts.push(`failed ${counts.failed}`);
    parts.push(`sent ${(counts.bytesSent / 1048576).toFixed(1)} MiB`, `${(this.#rate.perSecond(now) / 1048576).toFixed(1)} MiB/s`);
    return parts.join('  ');
  }
}
