/**
 * LogBatch: the log lines waiting to go to the log topic. It is a pino destination (`write`
 * gets one JSON entry per call) that keeps each entry as the readable line the log file gets,
 * and `take()` hands over and forgets what was collected since the last call.
 *
 * Bounded like OpenMSIStream's ring buffer (`max.logs.per.message` in the `[log]` section,
 * default 65536): past the bound the oldest lines are dropped and counted, so a log topic that
 * cannot be reached never grows memory. Writing never blocks and never throws.
 */
import { formatLogLine } from '../log/text-format.js';

export const DEFAULT_MAX_LOGS_PER_MESSAGE = 65536;

export class LogBatch {
  readonly #max: number;
  #lines: string[] = [];
  #dropped = 0;

  constructor(maxMessages = DEFAULT_MAX_LOGS_PER_MESSAGE) {
    this.#max = Math.max(1, Math.floor(maxMessages));
  }

  write(entry: string): void {
    this.#lines.push(formatLogLine(entry, { date: true }).trimEnd());
    // Drop in blocks rather than shift() per line, which is O(n) each time.
    if (this.#lines.length > this.#max * 2 || this.#lines.length > this.#max + 1024) {
      const over = this.#lines.length - this.#max;
      this.#lines = this.#lines.slice(over);
      this.#dropped += over;
    }
  }

  get size(): number {
    return Math.min(this.#lines.length, this.#max);
  }

  /** The lines since the last call (at most `maxMessages`, the newest), and how many older ones were dropped. */
  take(): { messages: string[]; dropped: number } {
    let messages = this.#lines;
    let dropped = this.#dropped;
    if (messages.length > this.#max) {
      dropped += messages.length - this.#max;
      messages = messages.slice(messages.length - this.#max);
    }
    this.#lines = [];
    this.#dropped = 0;
    return { messages, dropped };
  }
}
