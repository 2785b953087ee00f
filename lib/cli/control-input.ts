/**
 * OpenMSIStream's console control: `q`/`quit` + Enter stops gracefully, `c`/`check` + Enter
 * prints counts. SIGINT/SIGTERM also stop. Returns a disposer that removes every listener.
 */
import { createInterface } from 'node:readline';

export interface ControlHandlers {
  stop: (reason: string) => void;
  check: () => string;
}

export function listenForControl(handlers: ControlHandlers, input: NodeJS.ReadableStream = process.stdin): () => void {
  const onSignal = (signal: NodeJS.Signals): void => handlers.stop(signal);
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
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lines?.close();
    if (input === process.stdin) process.stdin.unref?.();
  };
}
