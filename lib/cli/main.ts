/**
 * The `datafile-stream` command: picks a subcommand and hands it the rest of argv. Each
 * subcommand module exports `run(argv): Promise<number>` (the exit code); errors that reach this
 * point are printed as one line with their code: exit status 2 for a usage error, 1 otherwise
 * (lib/exit-codes.ts). OpenMSIStream's program names are accepted for the subcommands.
 */
import { readFileSync } from 'node:fs';
import { isCodedError } from '../errors.js';
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { quietKafkajsTimeoutWarning } from './node-warnings.js';
import { closest } from '../config/parse-args.js';
import { readHelp } from './read-help.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  'upload-file': async () => (await import('./commands/upload-file.js')).run,
  'upload-directory': async () => (await import('./commands/upload-directory.js')).run,
  'download-directory': async () => (await import('./commands/download-directory.js')).run,
  's3-transfer': async () => (await import('./commands/s3-transfer.js')).run,
  process: async () => (await import('./commands/process.js')).run,
  reproduce: async () => (await import('./commands/reproduce.js')).run,
  monitor: async () => (await import('./commands/monitor.js')).run,
  broker: async () => (await import('./commands/broker.js')).runBroker,
  'install-service': async () => {
    const { installService } = await import('./commands/install-service.js');
    return (argv) => installService(argv, { commands: Object.keys(COMMANDS), aliases: OPENMSISTREAM_NAMES });
  },
  'uninstall-service': async () => (await import('./commands/install-service.js')).uninstallService,
};

/** OpenMSIStream's program names, so a lab's scripts and habits carry over. */
const OPENMSISTREAM_NAMES: Record<string, string> = {
  UploadDataFile: 'upload-file',
  DataFileUploadDirectory: 'upload-directory',
  DataFileDownloadDirectory: 'download-directory',
  S3TransferStreamProcessor: 's3-transfer',
};

const USAGE_CODES = new Set(['ERR_INVALID_ARGUMENT', 'ERR_INVALID_OPTION']);

export async function main(argv: string[]): Promise<number> {
  quietKafkajsTimeoutWarning();
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(readHelp('main'));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS[name] ? name : OPENMSISTREAM_NAMES[name];
  const load = command === undefined ? undefined : COMMANDS[command];
  if (command === undefined || !load) {
    // Compared in lower case, so `uploaddatafile` or `Download-Directory` still finds its command.
    const byLowerName = new Map<string, string>([
      ...Object.keys(COMMANDS).map((c): [string, string] => [c, c]),
      ...Object.entries(OPENMSISTREAM_NAMES).map(([program, c]): [string, string] => [program.toLowerCase(), c]),
    ]);
    const guess = closest(name.toLowerCase(), [...byLowerName.keys()]);
    const hint = guess === undefined ? '' : ` (did you mean ${byLowerName.get(guess)}?)`;
    process.stderr.write(`datafile-stream: unknown command "${name}"${hint}; try --help\n`);
    return EXIT_USAGE;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    const code = isCodedError(err) ? err.code : 'ERR_UNEXPECTED';
    process.stderr.write(`datafile-stream ${command}: ${code}: ${(err as Error)?.message ?? String(err)}\n`);
    if (!isCodedError(err) && process.env.DATAFILE_STREAM_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
    return USAGE_CODES.has(code) ? EXIT_USAGE : EXIT_ERROR;
  }
}
