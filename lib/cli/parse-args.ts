/**
 * Command-line parsing for every subcommand: minimist with explicit types, OpenMSIStream's
 * snake_case names as the canonical keys and kebab-case accepted as aliases (`--topic-name`).
 * Unknown flags are an error (ERR_INVALID_ARGUMENT) rather than silently ignored.
 */
import minimist from 'minimist';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

export interface ArgSpec {
  string?: string[];
  boolean?: string[];
  /** Flags that may be given without a value of their own type: numbers, parsed and checked. */
  number?: string[];
  default?: Record<string, unknown>;
  alias?: Record<string, string | string[]>;
}

export type ParsedArgs = minimist.ParsedArgs;

export function parseArgs(argv: string[], spec: ArgSpec): ParsedArgs {
  const names = [...(spec.string ?? []), ...(spec.boolean ?? []), ...(spec.number ?? []), 'help'];
  const alias: Record<string, string[]> = {};
  for (const name of names) {
    const extra = spec.alias?.[name];
    const list = extra === undefined ? [] : Array.isArray(extra) ? [...extra] : [extra];
    if (name.includes('_')) list.push(name.replaceAll('_', '-'));
    if (list.length > 0) alias[name] = list;
  }
  const known = new Set(names.flatMap((n) => [n, ...(alias[n] ?? [])]));
  let unknown: string | undefined;
  const args = minimist(argv, {
    string: [...(spec.string ?? []), ...(spec.number ?? [])],
    boolean: [...(spec.boolean ?? []), 'help'],
    alias,
    default: spec.default ?? {},
    unknown: (arg) => {
      if (arg.startsWith('-') && unknown === undefined) {
        const name = arg.replace(/^-+/, '').split('=')[0]!;
        if (!known.has(name)) unknown = arg;
      }
      return true;
    },
  });
  if (unknown !== undefined) throw new ConfigError('ERR_INVALID_ARGUMENT', `unknown option ${unknown} (see --help)`, { option: unknown });
  for (const name of spec.number ?? []) {
    const raw = args[name];
    if (raw === undefined || raw === '' || typeof raw === 'number') continue;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new ConfigError('ERR_INVALID_ARGUMENT', `--${name} must be a number, got "${raw}"`, { option: name });
    for (const key of [name, ...(alias[name] ?? [])]) args[key] = value;
  }
  return args;
}

export function readHelp(name: string): string {
  return readFileSync(new URL(`./help/${name}.txt`, import.meta.url), 'utf8');
}
