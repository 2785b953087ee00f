/**
 * The `datafile-stream` command: picks a subcommand and hands it the rest of argv. Each
 * subcommand module exports `run(argv): Promise<number>` (the exit code); errors that reach this
 * point are printed as one line with their code, exit status 1.
 */
import { readFileSync } from 'node:fs';
import { isCodedError } from '../errors.js';
import { readHelp } from './parse-args.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  'upload-file': async () => (await import('./commands/upload-file.js')).run,
  'upload-directory': async () => (await import('./commands/upload-directory.js')).run,
  'download-directory': async () => (await import('./commands/download-directory.js')).run,
  's3-transfer': async () => (await import('./commands/s3-transfer.js')).run,
  process: async () => (await import('./commands/process.js')).run,
  broker: async () => (await import('./commands/broker.js')).runBroker,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(readHelp('main'));
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`datafile-stream: unknown command "${name}"; try --help\n`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    const code = isCodedError(err) ? err.code : 'ERR_UNEXPECTED';
    process.stderr.write(`datafile-stream ${name}: ${code}: ${(err as Error)?.message ?? String(err)}\n`);
    if (!isCodedError(err) && process.env.DATAFILE_STREAM_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
    return 1;
  }
}
