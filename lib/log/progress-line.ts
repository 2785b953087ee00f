/**
 * The status line at the bottom of a terminal: one per process, owned here, so log lines and the
 * progress of a run never share a line. A program calls `update(text)` (twice a second, say) and
 * `done()` at its end; the logger's terminal stream writes through `write(text)`, which clears
 * the status line, writes the log text and draws the status line again below it, in one write so
 * nothing can come between. Before this, the progress text was left in place and the next log
 * line was appended to it.
 *
 * Only a TTY gets a status line: piped stderr (JSON logs, tests, CI) sees the log text alone.
 * The line is cut to the terminal's width, because a line that wrapped cannot be cleared with
 * `\r`. Everything is synchronous (process.stderr on a Linux TTY is), so a forced exit loses
 * nothing drawn.
 */

/** Where the line is drawn: process.stderr, or a fake in tests. */
export interface StatusStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Carriage return, then erase to the end of the line. */
export const CLEAR_LINE = '\r\x1b[K';

export class ProgressLine {
  readonly #out: StatusStream;
  readonly #enabled: boolean;
  /** The status text on screen now; '' when none is drawn. */
  #shown = '';

  constructor(out: StatusStream, options: { enabled?: boolean } = {}) {
    this.#out = out;
    this.#enabled = options.enabled ?? out.isTTY === true;
  }

  /** Whether a status line is drawn at all (a TTY). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Draws the status line, replacing the one shown. */
  update(text: string): void {
    if (!this.#enabled) return;
    this.#shown = this.#fit(text);
    this.#out.write(`${CLEAR_LINE}${this.#shown}`);
  }

  /** Writes log text (whole lines) above the status line. */
  write(text: string): void {
    if (this.#shown === '') this.#out.write(text);
    else this.#out.write(`${CLEAR_LINE}${text}${this.#shown}`);
  }

  /** Leaves the last status line on screen and ends it: later output starts on a line of its own. */
  done(): void {
    if (this.#shown === '') return;
    this.#shown = '';
    this.#out.write('\n');
  }

  /** Removes the status line from the screen. */
  clear(): void {
    if (this.#shown === '') return;
    this.#shown = '';
    this.#out.write(CLEAR_LINE);
  }

  #fit(text: string): string {
    const width = this.#out.columns;
    return width !== undefined && width > 1 && text.length >= width ? text.slice(0, width - 1) : text;
  }
}

let stderrLine: ProgressLine | undefined;

/** The process's status line on stderr, shared by the logger and the program's progress. */
export function stderrProgressLine(): ProgressLine {
  stderrLine ??= new ProgressLine({
    write: (text) => process.stderr.write(text),
    get isTTY() {
      return process.stderr.isTTY === true;
    },
    get columns() {
      return process.stderr.columns;
    },
  });
  return stderrLine;
}

/**
 * Redraws `render()` on `line` every `everyMs` until the returned function is called, which
 * draws it a last time and leaves it on screen (later calls do nothing). Nothing happens when the line is not enabled.
 */
export function showProgress(line: ProgressLine, render: () => string, everyMs = 500): () => void {
  if (!line.enabled) return () => undefined;
  const timer = setInterval(() => line.update(render()), everyMs);
  timer.unref();
  line.update(render());
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    line.update(render());
    line.done();
  };
}
