/**
 * One pino JSON line in, one readable text line out, for people who `tail` a log:
 *
 *   2026-12-03 08:40:50,445 INFO DataFileUploadDirectory: uploaded file=a/b.dat bytes=1024
 *
 * Time in local time as Python's logging writes it (comma before the milliseconds), the level in
 * Python's names (OpenMSIStream's logs say WARNING and CRITICAL), the logger's name, the message,
 * then the entry's other fields as key=value (strings with spaces or quotes JSON-quoted, objects as
 * compact JSON, an error as its message). Always one line: a newline inside a message is escaped,
 * so a line is an entry. `pid` and `hostname` are left out. The terminal form (`date: false`)
 * drops the date and the name and may colour the level.
 *
 * A line that is not JSON is passed through as it is.
 */

export interface TextFormatOptions {
  /** Date and logger name in front (the log file); otherwise the time of day only (a terminal). */
  date?: boolean;
  /** ANSI colour for the level (a terminal). */
  colors?: boolean;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARNING', 50: 'ERROR', 60: 'CRITICAL' };
const LEVEL_COLORS: Record<number, string> = { 10: '\x1b[90m', 20: '\x1b[34m', 30: '\x1b[32m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[41m' };
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

export function formatLogLine(line: string, options: TextFormatOptions = {}): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  if (entry === null || typeof entry !== 'object') return `${line.trimEnd()}\n`;
  const parts: string[] = [];
  const time = typeof entry.time === 'number' ? new Date(entry.time) : new Date();
  parts.push(options.date ? `${dateOf(time)} ${timeOf(time, ',')}` : timeOf(time, '.'));
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const levelName = LEVEL_NAMES[level] ?? `LEVEL${level}`;
  parts.push(options.colors ? `${LEVEL_COLORS[level] ?? ''}${levelName}\x1b[0m` : levelName);
  const msg = oneLine(typeof entry.msg === 'string' ? entry.msg : '');
  parts.push(options.date && typeof entry.name === 'string' ? `${entry.name}: ${msg}` : msg);
  for (const [key, value] of Object.entries(entry)) {
    if (OMITTED.has(key) || value === undefined) continue;
    parts.push(`${key}=${valueText(key, value)}`);
  }
  return `${parts.join(' ')}\n`;
}

function valueText(key: string, value: unknown): string {
  if (key === 'err' && value !== null && typeof value === 'object') {
    const err = value as { type?: unknown; message?: unknown };
    return quoted(`${typeof err.type === 'string' ? `${err.type}: ` : ''}${String(err.message ?? '')}`);
  }
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value) ?? String(value);
}

function quoted(text: string): string {
  return text !== '' && /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}

const two = (n: number): string => String(n).padStart(2, '0');

function dateOf(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

function timeOf(d: Date, msSeparator: string): string {
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}${msSeparator}${String(d.getMilliseconds()).padStart(3, '0')}`;
}
