/**
 * addLogStream: one more destination for a logger createLogger made (a log topic's batch), added
 * after the fact because the destination exists only once the program knows its flags. Each
 * destination of the multistream keeps its own level, and the logger's level is left as it is,
 * so what stderr and the log file get does not change: the new stream sees the entries the
 * logger already emits at or above `level`. Returns false for a logger without a multistream
 * (silentLogger, an app's own pino), which is left untouched.
 */
import pino, { type Logger } from 'pino';
import { normalizeLevel } from './create-logger.js';

interface MultiStream {
  add(dest: pino.StreamEntry): unknown;
}

export function addLogStream(logger: Logger, level: string, stream: { write(entry: string): void }): boolean {
  const target = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as Partial<MultiStream> | undefined;
  if (typeof target?.add !== 'function') return false;
  const normalized = normalizeLevel(level);
  target.add({ level: normalized === 'silent' ? 'fatal' : normalized, stream });
  return true;
}
