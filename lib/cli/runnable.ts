/**
 * The seed's Runnable pattern: a class describes its command-line arguments with a static list
 * that subclasses extend (`[...super.getCommandLineArguments(), { name: 'my_flag', ... }]`),
 * `getArgumentParser()` turns the list into a parser with generated `--help`, and
 * `runFromCommandLine(argv?)` parses, constructs the class from the arguments and runs it.
 */
import { ConfigError } from '../errors.js';
import { parseArgs, type ArgSpec } from './parse-args.js';

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
    lines.push(`  --help`.padEnd(32) + 'show this help');
    return `${lines.join('\n')}\n`;
  }
}

export abstract class Runnable {
  /** The arguments this class takes; subclasses extend their parent's list. */
  static getCommandLineArguments(): ArgumentDef[] {
    return [
      { name: 'logger_stream_level', type: 'string', default: 'info', help: 'log level on stderr' },
      { name: 'logger_file_level', type: 'string', default: 'warning', help: 'log level in the log file' },
      { name: 'logger_file_path', type: 'string', help: 'log file path (default: under LOGS/)' },
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
    const instance = new this(args);
    return instance.runMain();
  }

  /** Runs the instance end to end; resolves to an exit code. */
  abstract runMain(): Promise<number>;
}

export interface RunnableClass {
  new (args: ParsedArguments): Runnable;
  getArgumentParser(): ArgumentParser;
}
