/**
 * The systemd unit that runs one datafile-stream program as a service: pure text from plain
 * values, so the whole unit is tested without systemd, a file system or the current process.
 *
 * In: the program's command and arguments, the node binary and bin script (absolute), the working
 * directory, optional environment and user. Out: the unit file's text, the service's name
 * derived from what it runs, and the arguments with their relative paths made absolute (a
 * service starts in its own WorkingDirectory, long after the shell that installed it is gone).
 *
 * Why each [Service] line is there:
 * - Restart=always with RestartSec: a program that stops (a lost broker, exit 1 or 4) comes back;
 *   RestartPreventExitStatus=2 because a usage error does not fix itself by restarting.
 * - KillSignal=SIGTERM: the programs stop gracefully on SIGTERM (in-flight files finish or are
 *   left for the next run, the last commit is made) and exit 143, which SuccessExitStatus marks
 *   as a clean stop rather than a failure.
 * - TimeoutStopSec above the consumers' shutdown timeout (30 s, lib/pipeline/pipeline-stopper.ts)
 *   so systemd's SIGKILL never cuts the final commit short.
 * Errors: none; the caller validates the name with `checkServiceName`.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../pipeline/pipeline-stopper.js';

/** The first line of every unit this package writes; uninstall-service removes only such files. */
export const UNIT_MARKER = '# Written by datafile-stream install-service.';

/** The consumers' graceful-stop budget, and 15 s more for the final commit and registry flush. */
export const TIMEOUT_STOP_SECONDS = DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000 + 15;
export const RESTART_SECONDS = 5;

export interface ServiceUnitSpec {
  name: string;
  /** The program's subcommand (upload-directory, process, ...) and its arguments, already absolute. */
  command: string;
  args: readonly string[];
  /** Absolute path of the node that installs the service (process.execPath). */
  node: string;
  /** Absolute path of the package's bin script (dist/bin/datafile-stream.js). */
  script: string;
  workingDirectory: string;
  environment?: Readonly<Record<string, string>>;
  user?: string;
}

export function buildServiceUnit(spec: ServiceUnitSpec): string {
  const execStart = [spec.node, spec.script, spec.command, ...spec.args].map(quoteExecArgument).join(' ');
  const environment = Object.entries(spec.environment ?? {}).map(([key, value]) => `Environment=${quoteWord(`${key}=${value}`, false)}`);
  return [
    `${UNIT_MARKER} Remove it with: datafile-stream uninstall-service ${spec.name}`,
    '[Unit]',
    `Description=${escapeSpecifiers(oneLine(['datafile-stream', spec.command, ...spec.args].join(' ')))}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${execStart}`,
    `WorkingDirectory=${escapeSpecifiers(spec.workingDirectory)}`,
    ...environment,
    ...(spec.user === undefined ? [] : [`User=${spec.user}`]),
    'Restart=always',
    `RestartSec=${RESTART_SECONDS}`,
    'RestartPreventExitStatus=2',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${TIMEOUT_STOP_SECONDS}`,
    'SuccessExitStatus=143',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/**
 * One ExecStart word as systemd reads it: `%` starts a specifier and `$` an environment
 * variable, so both are doubled; anything beyond a plain word is double-quoted with C escapes; a
 * lone `;` would separate commands.
 */
export function quoteExecArgument(arg: string): string {
  return arg === ';' ? '\\;' : quoteWord(arg, true);
}

/** Environment= values are not `$`-expanded, only `%`-expanded; the quoting is ExecStart's. */
function quoteWord(word: string, dollars: boolean): string {
  const literal = dollars ? escapeSpecifiers(word).replaceAll('$', '$$$$') : escapeSpecifiers(word);
  if (/^[\w@%+=:,./-]+$/.test(word)) return literal;
  const escaped = literal.replace(/[\\"\n\t\r]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c]!);
  return `"${escaped}"`;
}

function escapeSpecifiers(text: string): string {
  return text.replaceAll('%', '%%');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/**
 * `datafile-stream-<command>-<8 hex>`: the same program with the same (absolute) arguments gets
 * the same name, so installing it again replaces its unit instead of adding a second service.
 */
export function deriveServiceName(command: string, args: readonly string[]): string {
  const hash = createHash('sha256').update(JSON.stringify([command, ...args])).digest('hex').slice(0, 8);
  return `datafile-stream-${command}-${hash}`;
}

/** A unit name systemd accepts for a plain service (no template `@`), without `.service`. */
export function checkServiceName(name: string): string {
  const bare = name.endsWith('.service') ? name.slice(0, -'.service'.length) : name;
  if (!/^[A-Za-z0-9:_.-]{1,200}$/.test(bare) || bare.startsWith('.') || bare.startsWith('-')) {
    throw new ConfigError('ERR_INVALID_ARGUMENT', `"${name}" is not a service name: use letters, digits, ":", "_", ".", "-" (not first), at most 200`, { option: 'name' });
  }
  return bare;
}

/** Commands whose first argument is a path (the directory to watch or fill, the module to run). */
const FIRST_ARGUMENT_IS_PATH = new Set(['upload-directory', 'download-directory', 'process', 'reproduce']);
/** Flags that always name a path. */
const PATH_FLAGS = new Set(['output_dir', 'logger_file_path']);
/** Flags that name a path only when it exists: `--config local` is a bundled config's name. */
const PATH_FLAGS_IF_EXISTING = new Set(['config']);

export interface PathContext {
  cwd: string;
  exists: (path: string) => boolean;
}

/**
 * The program's arguments with its relative paths made absolute against `cwd`: the first
 * argument of commands that take a directory or module, and --output_dir, --logger_file_path and
 * (when it names an existing file) --config, in both `--flag value` and `--flag=value` forms.
 */
export function absoluteArguments(command: string, args: readonly string[], context: PathContext): string[] {
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(context.cwd, path));
  const isPathFlag = (flag: string, value: string): boolean => {
    const name = flag.replace(/^--?/, '').replaceAll('-', '_');
    return PATH_FLAGS.has(name) || (PATH_FLAGS_IF_EXISTING.has(name) && context.exists(absolute(value)));
  };
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const inline = /^(--?[^=]+)=(.*)$/s.exec(arg);
    if (i === 0 && FIRST_ARGUMENT_IS_PATH.has(command) && !arg.startsWith('-')) out.push(absolute(arg));
    else if (inline && isPathFlag(inline[1]!, inline[2]!)) out.push(`${inline[1]}=${absolute(inline[2]!)}`);
    else if (arg.startsWith('-') && args[i + 1] !== undefined && isPathFlag(arg, args[i + 1]!)) out.push(arg, absolute(args[++i]!));
    else out.push(arg);
  }
  return out;
}
