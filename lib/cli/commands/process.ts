/**
 * `datafile-stream process <module> [--class Name] [processor options]`: loads the user's
 * DataFileStreamProcessor subclass (the module's default export, or the named export given with
 * --class) from a .js/.mjs/.ts/.mts file and runs it with the remaining arguments.
 *
 * A module that cannot be a processor is refused here, before anything connects to Kafka: one
 * that does not load (ERR_PROCESSOR_LOAD, with file:line:column for a syntax error and a hint
 * when the file loads as CommonJS) and a class that is not a subclass or lacks
 * processDownloadedDataFile (ERR_PROCESSOR_INVALID). Otherwise every file would fail at run time.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../errors.js';
import { DataFileStreamProcessor } from '../../programs/data-file-stream-processor.js';
import { ArgumentParser } from '../../programs/runnable.js';
import { readHelp } from '../read-help.js';
import { commonJsHint, isTypeScript, syntaxErrorLocation } from '../module-diagnostics.js';

type ProcessorClass = (new (args: Record<string, unknown>) => DataFileStreamProcessor) & { runFromCommandLine(argv?: string[]): Promise<number> };

/** The methods `run()` calls on every processor that the base class does not define. */
const REQUIRED_METHODS = ['processDownloadedDataFile'] as const;

export async function run(argv: string[]): Promise<number> {
  const [modulePath, ...rest] = argv;
  if (modulePath === undefined || modulePath === '--help' || modulePath === '-h') {
    process.stdout.write(help());
    return modulePath === undefined ? 2 : 0;
  }
  if (modulePath.startsWith('-')) {
    throw new ConfigError('ERR_INVALID_ARGUMENT', `the first argument is the processor module (a .js, .mjs, .ts or .mts file), got ${modulePath} (see --help)`);
  }
  const { className, args } = splitClassArgument(rest);
  const Processor = await loadProcessor(resolve(modulePath), className);
  return Processor.runFromCommandLine(args);
}

/** `--class C` (or `--class=C`) taken out of a module command's arguments; the rest go to the class. */
export function splitClassArgument(rest: readonly string[]): { className: string | undefined; args: string[] } {
  let className: string | undefined;
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--class') className = rest[++i];
    else if (arg.startsWith('--class=')) className = arg.slice('--class='.length);
    else args.push(arg);
  }
  return { className, args };
}

/** The command's own help, then the options every processor takes (a processor's --help adds its own). */
function help(): string {
  return new ArgumentParser(DataFileStreamProcessor.getCommandLineArguments(), readHelp('process').trimEnd()).help();
}

export async function loadProcessor(path: string, className?: string): Promise<ProcessorClass> {
  if (isTypeScript(path)) await registerTypeScript();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw loadError(path, err);
  }
  const exported = className ? mod[className] : mod.default;
  const what = className ? `export "${className}"` : 'default export';
  if (typeof exported !== 'function' || !(exported.prototype instanceof DataFileStreamProcessor)) {
    // Two copies of the base class: the module imported another installation, or was compiled
    // to CommonJS (tsx does that in a CommonJS app) and got a second instance of this package.
    const why = extendsAnotherCopy(exported)
      ? `: it extends a DataFileStreamProcessor from another copy of datafile-stream; ${commonJsHint(path) ?? 'run the datafile-stream the module imports (npx datafile-stream in its app)'}`
      : ` (exports: ${Object.keys(mod).join(', ') || 'none'})`;
    throw new ConfigError('ERR_PROCESSOR_INVALID', `${what} of ${path} is not a DataFileStreamProcessor subclass${why}`, { path });
  }
  const missing = REQUIRED_METHODS.filter((name) => typeof (exported.prototype as Record<string, unknown>)[name] !== 'function');
  if (missing.length > 0) {
    throw new ConfigError(
      'ERR_PROCESSOR_INVALID',
      `${exported.name || what} (${what} of ${path}) does not define ${missing.map((m) => `${m}(file, lock)`).join(', ')}, which every processor must implement`,
      { path, className: exported.name, method: missing[0] },
    );
  }
  return exported as ProcessorClass;
}

/** One line that says where the module went wrong and, for a CommonJS mix-up, what to change. */
function loadError(path: string, err: unknown): ConfigError {
  const name = err instanceof Error ? err.name : 'Error';
  // tsx's transform errors span lines; the CLI prints one line per error.
  const message = (err instanceof Error ? err.message : String(err)).split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  // Node's SyntaxError from import() names neither the file nor the line (only an uncaught one
  // is printed with them), so the location is asked of `node --check`.
  const where = name === 'SyntaxError' && !isTypeScript(path) ? syntaxErrorLocation(path) : undefined;
  const hint = commonJsHint(path, err);
  const text = where ? `${where}: ${name}: ${message}` : `${path}: ${message}`;
  return new ConfigError('ERR_PROCESSOR_LOAD', `cannot load processor module ${text}${hint ? `; ${hint}` : ''}`, { path }, err);
}

/** True when `value` is a class whose ancestors include a DataFileStreamProcessor that is not ours. */
function extendsAnotherCopy(value: unknown): boolean {
  if (typeof value !== 'function') return false;
  for (let p: unknown = Object.getPrototypeOf(value); typeof p === 'function' && p !== Function.prototype; p = Object.getPrototypeOf(p)) {
    if ((p as { name: string }).name === 'DataFileStreamProcessor' && p !== DataFileStreamProcessor) return true;
  }
  return false;
}

/** .ts/.mts modules run through tsx's loader, an optional dependency. */
async function registerTypeScript(): Promise<void> {
  let tsx: { register: () => unknown };
  try {
    tsx = (await import('tsx/esm/api')) as { register: () => unknown };
  } catch (err) {
    throw new ConfigError(
      'ERR_PROCESSOR_LOAD',
      'a TypeScript processor needs the optional "tsx" package installed beside datafile-stream (npm install --save-dev tsx), or compile the processor to .js/.mjs',
      {},
      err,
    );
  }
  tsx.register();
}
