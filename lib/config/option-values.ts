/**
 * One validator per option value, shared by every command and by the library entry
 * (`new MyProcessor({...})`): each takes the raw value (a string from the command line, or a
 * number from code) and the option's snake_case name, and returns the checked value or throws
 * ConfigError ERR_INVALID_ARGUMENT naming the option (`--n_threads must be ...`).
 */
import { ConfigError } from '../errors.js';

export type OptionCheck<T = unknown> = (value: unknown, name: string) => T;

function invalid(name: string, what: string, value: unknown): ConfigError {
  return new ConfigError('ERR_INVALID_ARGUMENT', `--${name} must be ${what}, got ${JSON.stringify(value)}`, { option: name });
}

/** A number written as a number: '2', '2.5', '-3', '1e3'; not '', '4,5', 'abc' or Infinity. */
function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return Number.NaN;
  return Number(value);
}

export const positiveInteger: OptionCheck<number> = (value, name) => {
  const n = numberOf(value);
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(name, 'a whole number >= 1', value);
  return n;
};

export const positiveNumber: OptionCheck<number> = (value, name) => {
  const n = numberOf(value);
  if (!Number.isFinite(n) || n <= 0) throw invalid(name, 'a number > 0', value);
  return n;
};

export const nonNegativeSeconds: OptionCheck<number> = (value, name) => {
  const n = numberOf(value);
  if (!Number.isFinite(n) || n < 0) throw invalid(name, 'a number of seconds >= 0', value);
  return n;
};

export const positiveSeconds: OptionCheck<number> = (value, name) => {
  const n = numberOf(value);
  if (!Number.isFinite(n) || n <= 0) throw invalid(name, 'a number of seconds > 0', value);
  return n;
};

/**
 * A stage's rule for one numeric option, for its options module (lib/<stage>/*-options.ts): the
 * stage's constructor and the command line's ArgumentDef both run it, so the option has one check
 * and one error code. `fail` builds the stage's own coded error (ERR_INVALID_OPTION); the message
 * names the option as the caller spells it (`nThreads` in code, `n_threads` from a flag).
 * Only numbers pass: the command line's parser has turned flag text into a number already.
 */
export function numberRule(
  what: string,
  holds: (n: number) => boolean,
  fail: (message: string, context: { option: string; value: unknown }) => Error,
): OptionCheck<number> {
  return (value, name) => {
    if (typeof value === 'number' && holds(value)) return value;
    const shown = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
    throw fail(`${name} must be ${what}, got ${shown}`, { option: name, value });
  };
}

/** Kafka's own rule for topic names, so a bad name is a usage error rather than a broker one. */
export const topicName: OptionCheck<string> = (value, name) => {
  const topic = typeof value === 'string' ? value : String(value ?? '');
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..') throw invalid(name, '1-249 of a-z A-Z 0-9 . _ -', value);
  return topic;
};

/** Log levels as OpenMSIStream takes them (Python's names) and as pino names them, any case. */
export const LOG_LEVELS = ['critical', 'fatal', 'error', 'warning', 'warn', 'info', 'debug', 'trace', 'notset', 'silent'] as const;

export const logLevel: OptionCheck<string> = (value, name) => {
  const level = String(value ?? '').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw invalid(name, `one of ${LOG_LEVELS.join(', ')}`, value);
  return level;
};

export const regularExpression: OptionCheck<RegExp> = (value, name) => {
  try {
    return value instanceof RegExp ? value : new RegExp(String(value));
  } catch (err) {
    throw new ConfigError('ERR_INVALID_ARGUMENT', `--${name} is not a valid regular expression: ${(err as Error).message}`, { option: name });
  }
};

/** A regular expression kept as its text (the command line's form), checked to compile. */
export const regularExpressionText: OptionCheck<string> = (value, name) => {
  regularExpression(value, name);
  return String(value);
};

export function oneOf<T extends string>(choices: readonly T[]): OptionCheck<T> {
  return (value, name) => {
    if (!(choices as readonly unknown[]).includes(value)) throw invalid(name, `one of ${choices.join(', ')}`, value);
    return value as T;
  };
}
