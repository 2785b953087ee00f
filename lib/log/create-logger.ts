/**
 * The one pino logger of a program run: a stderr stream (one readable line per entry on a TTY,
 * JSON lines otherwise) and optionally a log file (OpenMSIStream's `<ClassName>.log` under the
 * LOGS directory), readable text by default (text-format.ts) or JSON lines. On a TTY the stderr
 * lines go through the status line (progress-line.ts), which is cleared before each and drawn
 * again after it. Stages take child loggers of it; kafkajs gets a bridge (lib/kafka/kafka-client.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Level, type Logger } from 'pino';
import { stderrProgressLine, type ProgressLine } from './progress-line.js';
import { formatLogLine } from './text-format.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  name?: string;
  /** Level on stderr (OpenMSIStream's `--logger_stream_level`), default `info`. */
  streamLevel?: string;
  /** Level in the log file (`--logger_file_level`), default `info`. */
  fileLevel?: string;
  /** Log file; omitted means stderr only. */
  filePath?: string;
  /** The log file's lines: readable text, as OpenMSIStream writes (default), or JSON. */
  fileFormat?: 'text' | 'json';
  /** Readable lines on stderr; defaults to whether stderr is a TTY (JSON lines otherwise). */
  pretty?: boolean;
  /** The status line readable stderr lines are written through (default: the process's, on stderr). */
  progressLine?: ProgressLine;
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
/** OpenMSIStream takes Python logging level names. */
const PYTHON_LEVELS: Record<string, string> = { critical: 'fatal', warning: 'warn', notset: 'trace' };

export function normalizeLevel(level: string | undefined, fallback = 'info'): Level | 'silent' {
  if (level === undefined || level === '') return fallback as Level;
  const lower = level.toLowerCase();
  const mapped = PYTHON_LEVELS[lower] ?? lower;
  return (LEVELS.has(mapped) ? mapped : fallback) as Level | 'silent';
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const streamLevel = normalizeLevel(options.streamLevel);
  const fileLevel = normalizeLevel(options.fileLevel);
  const usePretty = options.pretty ?? process.stderr.isTTY === true;
  const line = options.progressLine ?? stderrProgressLine();
  const colors = line.enabled;
  const streams: pino.StreamEntry[] = [
    {
      level: streamLevel === 'silent' ? 'fatal' : streamLevel,
      stream: usePretty ? { write: (entry: string) => line.write(formatLogLine(entry, { colors })) } : pino.destination({ fd: 2, sync: true }),
    },
  ];
  let fileFailed: ((err: Error) => void) | undefined;
  if (options.filePath) {
    mkdirSync(dirname(options.filePath), { recursive: true });
    const file = pino.destination({ dest: options.filePath, sync: false, mkdir: true });
    // A log file that cannot be written (disk full, volume gone) must not take the program down
    // or keep it from exiting: sonic-boom re-emits the write error unhandled, and its exit flush
    // retries a failed write every 100 ms forever. Stop writing to it, as pino does on EPIPE;
    // stderr keeps the log.
    file.on('error', (err: Error) => {
      file.write = () => true;
      file.flushSync = () => undefined;
      file.end = () => undefined;
      fileFailed?.(err);
      fileFailed = undefined;
    });
    // `file.write` is looked up on each call: the error handler above replaces it.
    const stream =
      options.fileFormat === 'json'
        ? file
        : { write: (entry: string) => file.write(formatLogLine(entry, { date: true })), flushSync: () => file.flushSync() };
    streams.push({ level: fileLevel === 'silent' ? 'fatal' : fileLevel, stream });
  }
  const levels = [streamLevel, options.filePath ? fileLevel : 'silent'];
  const lowest = (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const).find((l) => levels.includes(l)) ?? 'fatal';
  const logger = pino({ name: options.name ?? 'datafile-stream', level: lowest }, pino.multistream(streams));
  fileFailed = (err) => logger.error({ err, code: 'ERR_DISK_WRITE', path: options.filePath }, `cannot write the log file ${options.filePath}; logging to stderr only`);
  if (streamLevel === 'silent' && !options.filePath) logger.level = 'silent';
  return logger;
}

/** A logger that drops everything, for library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
