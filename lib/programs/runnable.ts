/**
 * The seed's Runnable pattern: a class describes its command-line arguments with a static list
 * that subclasses extend (`[...super.getCommandLineArguments(), { name: 'my_flag', ... }]`),
 * `getArgumentParser()` turns the list into a parser with generated `--help`, and
 * `runFromCommandLine(argv?)` parses, constructs the class from the arguments and runs it.
 */
import { ConfigError, isCodedError } from '../errors.js';
import { logLevel, type OptionCheck } from '../config/option-values.js';
import { parseArgs, type ArgSpec } from '../config/parse-args.js';
import { TELEMETRY_ARGUMENTS, withTelemetry } from './telemetry-arguments.js';
import { CONSUMER_COUNTERS } from '../telemetry/telemetry-messages.js';

export interface ArgumentDef {
  /** snake_case flag name (kebab-case is accepted too), or the positional's name. */
  name: string;
  type: 'string' | 'boolean' | 'number';
  help: string;
  default?: string | number | boolean;
  /** A positional argument, in list order. */
  positional?: boolean;
  /** Required when no default exists and it is not given. */
  required?: boolean;
  choices?: readonly string[];
  /** The option's validator (lib/config/option-values.ts), run on a given or default value. */
  check?: OptionCheck;
  /** Other spellings accepted for it (OpenMSIStream's names of the same thing). */
  alias?: string[];
}

export type ParsedArguments = Record<string, string | number | boolean | undefined>;

export class ArgumentParser {
  readonly #defs: ArgumentDef[];
  readonly #usage: string;

  constructor(defs: ArgumentDef[], usage: string) {
    const seen = new Set<string>();
    this.#defs = [];
    // A subclass may redefine a parent's argument (new default or help): the last one wins.
    for (const def of [...defs].reverse()) {
      if (seen.has(def.name)) continue;
      seen.add(def.name);
      this.#defs.unshift(def);
    }
    this.#usage = usage;
  }

  get definitions(): readonly ArgumentDef[] {
    return this.#defs;
  }

  parse(argv: string[]): ParsedArguments & { help?: boolean } {
    const flags = this.#defs.filter((d) => !d.positional);
    const spec: ArgSpec = {
      string: flags.filter((d) => d.type === 'string').map((d) => d.name),
      boolean: flags.filter((d) => d.type === 'boolean').map((d) => d.name),
      number: flags.filter((d) => d.type === 'number').map((d) => d.name),
      default: Object.fromEntries(flags.filter((d) => d.default !== undefined).map((d) => [d.name, d.default])),
      alias: Object.fromEntries(flags.filter((d) => d.alias !== undefined).map((d) => [d.name, d.alias!])),
    };
    const raw = parseArgs(argv, spec);
    const out: ParsedArguments & { help?: boolean } = { help: raw.help === true };
    for (const def of flags) out[def.name] = raw[def.name] as string | number | boolean | undefined;
    const positionals = this.#defs.filter((d) => d.positional);
    const given = raw._.map(String);
    if (given.length > positionals.length) {
      throw new ConfigError('ERR_INVALID_ARGUMENT', `unexpected argument "${given[positionals.length]}" (see --help)`);
    }
    positionals.forEach((def, i) => (out[def.name] = given[i] ?? (def.default as string | undefined)));
    if (out.help) return out;
    for (const def of this.#defs) {
      const value = out[def.name];
      if ((def.required || def.positional) && (value === undefined || value === '')) {
        throw new ConfigError('ERR_INVALID_ARGUMENT', `missing ${def.positional ? `<${def.name}>` : `--${def.name}`} (see --help)`, { option: def.name });
      }
      if (def.choices && value !== undefined && !def.choices.includes(String(value))) {
        throw new ConfigError('ERR_INVALID_ARGUMENT', `--${def.name} must be one of ${def.choices.join(', ')}, got "${value}"`, { option: def.name });
      }
      if (def.check && value !== undefined) out[def.name] = def.check(value, def.name) as string | number | boolean;
    }
    return out;
  }

  help(): string {
    const lines = [this.#usage, ''];
    const positionals = this.#defs.filter((d) => d.positional);
    if (positionals.length > 0) {
      lines.push('Arguments:');
      for (const d of positionals) lines.push(`  <${d.name}>`.padEnd(32) + d.help);
      lines.push('');
    }
    lines.push('Options (snake_case or kebab-case):');
    for (const d of this.#defs.filter((x) => !x.positional)) {
      const flag = `  --${d.name}${d.type === 'boolean' ? '' : ` <${d.type === 'number' ? 'n' : 'value'}>`}`;
      const extra = d.choices ? ` (${d.choices.join('|')})` : '';
      const dflt = d.default !== undefined && d.default !== false ? ` [default: ${d.default}]` : '';
      lines.push(`${flag.padEnd(32)}${d.help}${extra}${dflt}`);
    }
    lines.push(`  -h, --help`.padEnd(32) + 'show this help');
    return `${lines.join('\n')}\n`;
  }
}

/** Logging flags every program takes (OpenMSIStream's names and Python level names). */
export const LOGGER_STREAM_LEVEL_ARGUMENT: ArgumentDef = {
  name: 'logger_stream_level',
  type: 'string',
  default: 'info',
  check: logLevel,
  help: 'log level on stderr: debug, info, warning, error, critical (or pino\'s trace, fatal, silent)',
};

export const LOGGER_ARGUMENTS: ArgumentDef[] = [
  LOGGER_STREAM_LEVEL_ARGUMENT,
  { name: 'logger_file_level', type: 'string', default: 'warning', check: logLevel, help: 'log level in the log file' },
  { name: 'logger_file_format', type: 'string', default: 'text', choices: ['text', 'json'], help: 'log file lines as readable text or as JSON' },
];

/** OpenMSIStream's --update_seconds: how often a long-running program logs its counts (-1 or 0: never). */
export const UPDATE_SECONDS_ARGUMENT: ArgumentDef = {
  name: 'update_seconds',
  type: 'number',
  default: -1,
  help: 'log the counts (as typing c would print them) every this many seconds; -1: never',
};

export abstract class Runnable {
  /** The counters its heartbeats carry, in OpenMSIStream's order (a consumer's unless a subclass says). */
  static heartbeatCounters: readonly string[] = CONSUMER_COUNTERS;

  /** The arguments this class takes; subclasses extend their parent's list. */
  static getCommandLineArguments(): ArgumentDef[] {
    return [
      ...LOGGER_ARGUMENTS,
      { name: 'logger_file_path', type: 'string', help: 'log file path (default: under LOGS/)' },
      ...TELEMETRY_ARGUMENTS,
    ];
  }

  /** Usage line printed at the top of `--help`. */
  static getUsage(): string {
    return `Usage: ${this.name} [options]`;
  }

  static getArgumentParser(): ArgumentParser {
    return new ArgumentParser(this.getCommandLineArguments(), this.getUsage());
  }

  /** Parses argv, constructs the class and runs it; resolves to the process exit code. */
  static async runFromCommandLine(this: RunnableClass, argv: string[] = process.argv.slice(2)): Promise<number> {
    const parser = this.getArgumentParser();
    const args = parser.parse(argv);
    if (args.help) {
      process.stdout.write(parser.help());
      return 0;
    }
    let instance: Runnable;
    try {
      instance = new this(args);
    } catch (err) {
      // A coded error already names the option at fault; anything else came from the class's own
      // code, and a bare message such as "x is not defined" does not say where to look.
      if (isCodedError(err)) throw err;
      throw new ConfigError('ERR_CONSTRUCTOR_FAILED', `the constructor of ${this.name} threw: ${err instanceof Error ? err.message : String(err)}`, { className: this.name }, err);
    }
    // Heartbeats and log batches for a program that has a logger (every program here does).
    const logger = (instance as { logger?: import('pino').Logger }).logger;
    return logger ? withTelemetry(args, this.name, logger, this.heartbeatCounters, () => instance.runMain()) : instance.runMain();
  }

  /** Runs the instance end to end; resolves to an exit code. */
  abstract runMain(): Promise<number>;
}

export interface RunnableClass {
  new (args: ParsedArguments): Runnable;
  getArgumentParser(): ArgumentParser;
  heartbeatCounters: readonly string[];
}
