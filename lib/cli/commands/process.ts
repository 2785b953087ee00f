/**
 * `datafile-stream process <module> [--class Name] [processor options]`: loads the user's
 * DataFileStreamProcessor subclass (the module's default export, or the named export given with
 * --class) from a .js/.mjs/.ts file and runs it with the remaining arguments.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../errors.js';
import { DataFileStreamProcessor } from '../../process/data-file-stream-processor.js';
import { readHelp } from '../parse-args.js';

type ProcessorClass = (new (args: Record<string, unknown>) => DataFileStreamProcessor) & { runFromCommandLine(argv?: string[]): Promise<number> };

export async function run(argv: string[]): Promise<number> {
  const [modulePath, ...rest] = argv;
  if (modulePath === undefined || modulePath === '--help' || modulePath === '-h') {
    process.stdout.write(readHelp('process'));
    return modulePath === undefined ? 2 : 0;
  }
  let className: string | undefined;
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--class') className = rest[++i];
    else if (arg.startsWith('--class=')) className = arg.slice('--class='.length);
    else args.push(arg);
  }
  const Processor = await loadProcessor(resolve(modulePath), className);
  return Processor.runFromCommandLine(args);
}

export async function loadProcessor(path: string, className?: string): Promise<ProcessorClass> {
  if (path.endsWith('.ts')) await registerTypeScript();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('ERR_INVALID_ARGUMENT', `cannot load processor module ${path}: ${(err as Error).message}`, { path }, err);
  }
  const exported = className ? mod[className] : mod.default;
  if (typeof exported !== 'function' || !(exported.prototype instanceof DataFileStreamProcessor)) {
    const what = className ? `export "${className}"` : 'default export';
    throw new ConfigError('ERR_INVALID_ARGUMENT', `${what} of ${path} is not a DataFileStreamProcessor subclass (exports: ${Object.keys(mod).join(', ') || 'none'})`, { path });
  }
  return exported as ProcessorClass;
}

/** .ts modules run through tsx's loader, when it is installed. */
async function registerTypeScript(): Promise<void> {
  try {
    const tsx = (await import('tsx/esm/api')) as { register: () => unknown };
    tsx.register();
  } catch (err) {
    throw new ConfigError('ERR_INVALID_ARGUMENT', 'running a .ts processor needs the "tsx" package (npm install tsx), or compile it to .js', {}, err);
  }
}
