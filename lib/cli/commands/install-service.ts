/**
 * `datafile-stream install-service [--name N] [--user U] [--write] <command> [args...]` and
 * `datafile-stream uninstall-service [--write] <name>`: run any long-lived program as a systemd
 * service. The unit itself is lib/cli/service-unit.ts (pure); this file gathers what it needs
 * from the running process (node, the bin script, cwd, OPENMSISTREAM_CONFIG_FILE_DIR) and puts
 * the unit where systemd reads it.
 *
 * Out: without --write, install prints the unit on stdout (so `> name.service` saves exactly it)
 * and the systemctl lines on stderr; uninstall prints the lines to stop, disable and remove it.
 * With --write, the unit file is written or removed (root only: /etc/systemd/system is root's)
 * and the systemctl lines are printed; systemctl itself is never run, so nothing starts or stops
 * behind the user's back. Errors: a usage error (unknown command, a command that cannot be a
 * service, a bad name) is ERR_INVALID_ARGUMENT, exit 2; not root, a unit that is missing or was
 * not written by install-service, or a failed write are ServiceErrors, exit 1.
 *
 * DATAFILE_STREAM_UNIT_DIR replaces /etc/systemd/system (tests, packaging into a staging root);
 * there the directory's own permissions decide instead of the root check.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, ServiceError } from '../../errors.js';
import { EXIT_OK, EXIT_USAGE } from '../../exit-codes.js';
import { closest, parseArgs } from '../../config/parse-args.js';
import { readHelp } from '../read-help.js';
import { absoluteArguments, buildServiceUnit, checkServiceName, deriveServiceName, UNIT_MARKER } from '../service-unit.js';

export const SYSTEM_UNIT_DIR = '/etc/systemd/system';

/** What main.ts knows: its program commands and OpenMSIStream's names for them. */
export interface ServiceCommandContext {
  commands: readonly string[];
  aliases: Readonly<Record<string, string>>;
}

/** Commands main.ts runs that make no sense as a service, and why. */
const NOT_A_SERVICE: Record<string, string> = {
  broker: 'the local broker is for development: `broker start` launches it in the background and exits',
  'install-service': 'it installs services; it is not one',
  'uninstall-service': 'it removes services; it is not one',
  'upload-file': 'it exits after one file, and Restart=always would upload that file again on every restart; use upload-directory',
};

export async function installService(argv: string[], context: ServiceCommandContext): Promise<number> {
  const { own, command: given, args } = splitAtCommand(argv, new Set(['--name', '--user']));
  const options = parseArgs(own, { string: ['name', 'user'], boolean: ['write'] });
  if (options.help || given === undefined) {
    process.stdout.write(readHelp('install-service'));
    return given === undefined && !options.help ? EXIT_USAGE : EXIT_OK;
  }
  const command = programCommand(given, context);
  const cwd = process.cwd();
  const absolute = absoluteArguments(command, args, { cwd, exists: existsSync });
  const name = checkServiceName(options.name === undefined ? deriveServiceName(command, absolute) : String(options.name));
  const configDir = process.env.OPENMSISTREAM_CONFIG_FILE_DIR;
  const unit = buildServiceUnit({
    name,
    command,
    args: absolute,
    node: process.execPath,
    script: binScript(),
    workingDirectory: cwd,
    ...(configDir ? { environment: { OPENMSISTREAM_CONFIG_FILE_DIR: resolve(cwd, configDir) } } : {}),
    ...(options.user ? { user: String(options.user) } : {}),
  });
  const path = unitPath(name);
  const enable = [`systemctl daemon-reload`, `systemctl enable --now ${name}.service`];
  if (!options.write) {
    process.stdout.write(unit);
    process.stderr.write(`# To install: run this again with --write as root (or save the unit above as ${path}), then:\n${enable.join('\n')}\n`);
    return EXIT_OK;
  }
  await writeUnit(path, unit);
  process.stdout.write(`Wrote ${path}. To start it now and at every boot:\n${enable.join('\n')}\n`);
  return EXIT_OK;
}

export async function uninstallService(argv: string[]): Promise<number> {
  const options = parseArgs(argv, { boolean: ['write'] });
  const given = options._[0] === undefined ? undefined : String(options._[0]);
  if (options.help || given === undefined || options._.length > 1) {
    process.stdout.write(readHelp('uninstall-service'));
    return options.help ? EXIT_OK : EXIT_USAGE;
  }
  const name = checkServiceName(given);
  const path = unitPath(name);
  const stop = `systemctl disable --now ${name}.service`;
  if (!options.write) {
    process.stdout.write(`${stop}\nrm ${path}\nsystemctl daemon-reload\n# (or, after the first line: datafile-stream uninstall-service --write ${name}, as root)\n`);
    return EXIT_OK;
  }
  await removeUnit(path);
  process.stdout.write(`Removed ${path}. If the service ran, stop it and reload systemd (removing the file does not stop it):\n${stop}\nsystemctl daemon-reload\n`);
  return EXIT_OK;
}

/** install-service's own options come before the program's command; everything after is the program's. */
function splitAtCommand(argv: string[], valued: Set<string>): { own: string[]; command: string | undefined; args: string[] } {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) i += valued.has(argv[i]!) ? 2 : 1;
  return { own: argv.slice(0, i), command: argv[i], args: argv.slice(i + 1) };
}

function programCommand(given: string, context: ServiceCommandContext): string {
  const command = context.commands.includes(given) ? given : context.aliases[given];
  const why = command === undefined ? NOT_A_SERVICE[given] : NOT_A_SERVICE[command];
  if (why !== undefined) throw new ConfigError('ERR_INVALID_ARGUMENT', `${given} cannot run as a service: ${why}`, { command: given });
  if (command !== undefined) return command;
  const candidates = [...context.commands, ...Object.keys(context.aliases)].filter((c) => NOT_A_SERVICE[c] === undefined);
  const guess = closest(given.toLowerCase(), candidates.map((c) => c.toLowerCase()));
  const hint = guess === undefined ? '' : ` (did you mean ${candidates.find((c) => c.toLowerCase() === guess)}?)`;
  throw new ConfigError('ERR_INVALID_ARGUMENT', `unknown command "${given}"${hint}; the program to run comes after install-service's own options`, { command: given });
}

/** dist/bin/datafile-stream.js of the package this module belongs to, found from the package root. */
function binScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dirname(dir) !== dir) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'datafile-stream') {
      const script = join(dir, 'dist', 'bin', 'datafile-stream.js');
      if (existsSync(script)) return script;
      throw new ServiceError('ERR_SERVICE_NOT_FOUND', `${script} does not exist: build the package first (npm run build)`, { path: script });
    }
    dir = dirname(dir);
  }
  throw new ServiceError('ERR_SERVICE_NOT_FOUND', `cannot find the datafile-stream package above ${fileURLToPath(import.meta.url)}`);
}

function unitPath(name: string): string {
  return join(process.env.DATAFILE_STREAM_UNIT_DIR || SYSTEM_UNIT_DIR, `${name}.service`);
}

/** Writing or removing a system unit needs root; the user id is a parameter so that a test can present another. */
export function requireRoot(action: string, path: string, uid: number | undefined = process.getuid?.()): void {
  if (process.env.DATAFILE_STREAM_UNIT_DIR) return;
  if (uid !== 0) {
    throw new ServiceError('ERR_SERVICE_NOT_ROOT', `${action} ${path} needs root (run it with sudo), or leave out --write to print the unit`, { path });
  }
}

/** Replaces only a unit install-service wrote; written beside and renamed, so systemd never reads half a unit. */
async function writeUnit(path: string, unit: string): Promise<void> {
  requireRoot('writing', path);
  await assertOurs(path, false);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, unit, { mode: 0o644 });
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw new ServiceError('ERR_SERVICE_IO', `cannot write ${path}: ${(err as Error).message}`, { path }, err);
  }
}

async function removeUnit(path: string): Promise<void> {
  requireRoot('removing', path);
  await assertOurs(path, true);
  await unlink(path).catch((err: unknown) => {
    throw new ServiceError('ERR_SERVICE_IO', `cannot remove ${path}: ${(err as Error).message}`, { path }, err);
  });
}

/** A unit someone else wrote (sshd.service, say) is never replaced or removed. */
async function assertOurs(path: string, mustExist: boolean): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ServiceError('ERR_SERVICE_IO', `cannot read ${path}: ${(err as Error).message}`, { path }, err);
    if (mustExist) throw new ServiceError('ERR_SERVICE_NOT_FOUND', `${path} does not exist`, { path });
    return;
  }
  if (!text.startsWith(UNIT_MARKER)) {
    throw new ServiceError('ERR_SERVICE_FOREIGN', `${path} was not written by datafile-stream install-service; leaving it alone`, { path });
  }
}
