/**
 * Command-line parsing for every subcommand: minimist with explicit types, OpenMSIStream's
 * snake_case names as the canonical keys and kebab-case accepted as aliases (`--topic-name`).
 *
 * What users type and minimist alone gets wrong:
 * - `--n_threads -3`: minimist reads `-3` as a flag; a value-taking option followed by a
 *   negative number takes it as its value (and the option's validator then refuses it clearly).
 * - A repeated flag: the last one wins, as with Python's argparse (minimist makes an array).
 * - `-h` is `--help` everywhere.
 * - An unknown flag is an error (ERR_INVALID_ARGUMENT) rather than silently ignored; it names
 *   the closest known flag ("did you mean --topic_name?"), and OpenMSIStream flags this toolkit
 *   does not take say why.
 */
import minimist from 'minimist';
import { ConfigError } from '../errors.js';

export interface ArgSpec {
  string?: string[];
  boolean?: string[];
  /** Flags that take a number: parsed and checked to be one. */
  number?: string[];
  default?: Record<string, unknown>;
  alias?: Record<string, string | string[]>;
}

export type ParsedArgs = minimist.ParsedArgs;

/** OpenMSIStream flags whose meaning does not carry over here, and why. */
const UNSUPPORTED_OPENMSISTREAM_FLAGS: Record<string, string> = {
  treat_undecryptable_as_plaintext: 'KafkaCrypto encryption is not supported by datafile-stream',
  max_wait_per_decrypt: 'KafkaCrypto encryption is not supported by datafile-stream',
  max_initial_wait_per_decrypt: 'KafkaCrypto encryption is not supported by datafile-stream',
  heartbeat_topic_name: 'heartbeat topics are not supported yet',
  heartbeat_program_id: 'heartbeat topics are not supported yet',
  heartbeat_interval_secs: 'heartbeat topics are not supported yet',
  log_topic_name: 'log topics are not supported yet',
  log_program_id: 'log topics are not supported yet',
  log_interval_secs: 'log topics are not supported yet',
  girder_api_url: 'Girder uploads are not part of datafile-stream',
  girder_api_key: 'Girder uploads are not part of datafile-stream',
  service_name: 'services are installed with `datafile-stream install-service <command> [args]` (a systemd unit), not by a flag',
};

export function parseArgs(argv: string[], spec: ArgSpec): ParsedArgs {
  const valued = [...(spec.string ?? []), ...(spec.number ?? [])];
  const names = [...valued, ...(spec.boolean ?? []), 'help'];
  const alias: Record<string, string[]> = {};
  for (const name of names) {
    const extra = spec.alias?.[name];
    const list = extra === undefined ? [] : Array.isArray(extra) ? [...extra] : [extra];
    if (name.includes('_')) list.push(name.replaceAll('_', '-'));
    if (name === 'help') list.push('h');
    if (list.length > 0) alias[name] = list;
  }
  const spellings = (name: string): string[] => [name, ...(alias[name] ?? [])];
  const known = new Set(names.flatMap(spellings));
  const takesValue = new Set(valued.flatMap(spellings));
  let unknown: string | undefined;
  const args = minimist(withNegativeValues(argv, takesValue), {
    string: valued,
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
  if (unknown !== undefined) throw unknownOption(unknown, names);
  for (const name of names) {
    const value = args[name];
    if (!Array.isArray(value)) continue;
    // The last one wins (argparse's rule); minimist collects repeats into an array.
    for (const key of spellings(name)) args[key] = value.at(-1);
  }
  for (const name of spec.number ?? []) {
    const raw = args[name];
    if (raw === undefined || typeof raw === 'number') continue;
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (!Number.isFinite(value)) throw new ConfigError('ERR_INVALID_ARGUMENT', `--${name} must be a number, got ${JSON.stringify(raw)}`, { option: name });
    for (const key of spellings(name)) args[key] = value;
  }
  return args;
}

/** `--opt -3` -> `--opt=-3` for options that take a value, so a negative number is a value, not a flag. */
function withNegativeValues(argv: string[], takesValue: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = /^--?([^=]+)$/.exec(arg)?.[1];
    if (name !== undefined && takesValue.has(name) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function unknownOption(arg: string, names: string[]): ConfigError {
  const given = arg.replace(/^-+/, '').split('=')[0]!;
  const snake = given.replaceAll('-', '_');
  const why = UNSUPPORTED_OPENMSISTREAM_FLAGS[snake];
  if (why !== undefined) {
    return new ConfigError('ERR_INVALID_ARGUMENT', `option ${arg} is OpenMSIStream's; ${why} (see --help)`, { option: given });
  }
  const guess = closest(snake, names);
  const hint = guess === undefined ? '' : `; did you mean --${guess}?`;
  return new ConfigError('ERR_INVALID_ARGUMENT', `unknown option ${arg}${hint} (see --help)`, { option: given });
}

/** The known name nearest to what was typed (edit distance <= 3, or one contains the other), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = word.length >= 3 && (name.includes(word) || word.includes(name)) ? Math.abs(name.length - word.length) / 10 : editDistance(word, name);
    if (distance <= 3 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}
