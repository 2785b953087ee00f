/**
 * OpenMSIStream's console control: `q`/`quit` + Enter stops gracefully, `c`/`check` + Enter
 * prints counts. SIGINT/SIGTERM also stop gracefully; a second SIGINT/SIGTERM forces the exit at
 * once with 128+n. Forcing loses nothing: offsets and registries only ever cover finished work,
 * so the next run reads or sends again whatever was unfinished. With `updateSeconds` (OpenMSIStream's
 * --update_seconds, which prints a "still alive" dot), the counts of `c` are logged that often, for
 * runs without a terminal. Returns a disposer that removes every listener and the timer.
 */
import { createInterface } from 'node:readline';
import { exitCodeForSignal } from '../exit-codes.js';

export interface ControlHandlers {
  stop: (reason: string) => void;
  check: () => string;
  /** Called on the second signal just before the process exits (default: a line on stderr). */
  forced?: (signal: NodeJS.Signals) => void;
  /** Log the counts of `check()` every this many seconds (undefined, 0 or negative: never). */
  updateSeconds?: number;
  /** Where those periodic counts go (the program's logger at info). */
  update?: (counts: string) => void;
}

export interface ControlOptions {
  input?: NodeJS.ReadableStream;
  /** How the forced exit happens (tests replace it). */
  exit?: (code: number) => void;
}

export function listenForControl(handlers: ControlHandlers, options: ControlOptions | NodeJS.ReadableStream = {}): () => void {
  const { input = process.stdin, exit = (code: number) => process.exit(code) } = isStream(options) ? { input: options } : options;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!signalled) {
      signalled = true;
      handlers.stop(signal);
      return;
    }
    if (handlers.forced) handlers.forced(signal);
    else process.stderr.write(`\n${signal} again: exiting now; unfinished work was not committed and is done again by the next run\n`);
    exit(exitCodeForSignal(signal) ?? 1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let lines: ReturnType<typeof createInterface> | undefined;
  if (input === process.stdin ? !process.stdin.destroyed : true) {
    lines = createInterface({ input, terminal: false });
    lines.on('line', (line) => {
      const word = line.trim().toLowerCase();
      if (word === 'q' || word === 'quit') handlers.stop('quit');
      else if (word === 'c' || word === 'check') process.stdout.write(`${handlers.check()}\n`);
    });
  }
  const seconds = handlers.updateSeconds ?? 0;
  const updates = seconds > 0 && handlers.update ? setInterval(() => handlers.update!(handlers.check()), seconds * 1000) : undefined;
  updates?.unref();
  return () => {
    if (updates) clearInterval(updates);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lines?.close();
    if (input === process.stdin) process.stdin.unref?.();
  };
}

function isStream(value: ControlOptions | NodeJS.ReadableStream): value is NodeJS.ReadableStream {
  return typeof (value as NodeJS.ReadableStream).on === 'function';
}
