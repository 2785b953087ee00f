/**
 * A real S3-compatible server on loopback for the s3-transfer tests and for trying the program:
 * MinIO, built from its Go module with the ordinary Go toolchain (`go install`), run as a
 * single-drive server.
 *
 *   node --import tsx scripts/s3-server.ts install|start|stop|status [--port N] [--data_dir DIR]
 *
 * - install: builds the pinned MinIO into ~/.cache/datafile-stream/minio-<version>/minio unless
 *   it is there (a first build takes a few minutes: module downloads and a large compile; later
 *   ones reuse Go's module and build caches).
 * - start: installs if needed, then starts MinIO on 127.0.0.1:<port> (default 9310, or
 *   $DATAFILE_STREAM_S3_PORT) with the test credentials below; data, pid file and log in
 *   $DATAFILE_STREAM_HOME/s3-<port> (default ~/.cache/datafile-stream/s3-<port>). Already
 *   running: says so and exits 0. Returns once the server answers its readiness probe.
 * - stop: stops the server this script started on that port (pid file); not running is fine.
 * - status: exit 0 when it answers, 3 when not.
 *
 * Tests import `startS3Server` / `stopS3Server`; every call is idempotent. Only loopback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MINIO_MODULE = 'github.com/minio/minio';
/** MinIO publishes no semver tags; this is the module proxy's pseudo-version of a release commit. */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
export const S3_HOST = '127.0.0.1';
export const DEFAULT_S3_PORT = Number(process.env.DATAFILE_STREAM_S3_PORT ?? 9310);
/** Root credentials of the test server (loopback only, never a real secret). */
export const S3_TEST_ACCESS_KEY = 'datafile-stream';
export const S3_TEST_SECRET_KEY = 'datafile-stream-test-secret';
export const S3_TEST_REGION = 'us-east-1';

export interface S3ServerOptions {
  port?: number;
  /** Where the objects live (default: <state dir>/data). */
  dataDir?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface S3ServerInfo {
  endpoint: string;
  port: number;
  pid: number | undefined;
  alreadyRunning: boolean;
}

const cacheBase = (): string => join(homedir(), '.cache', 'datafile-stream');
const stateDir = (port: number): string => resolve(process.env.DATAFILE_STREAM_HOME ?? cacheBase(), `s3-${port}`);
export const minioBinary = (): string => join(cacheBase(), `minio-${MINIO_VERSION}`, 'minio');
const defaultLog = (line: string): void => void process.stderr.write(`[s3-server] ${line}\n`);

function goCommand(): string {
  const onPath = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (onPath.status === 0) return 'go';
  for (const candidate of ['/usr/local/go/bin/go', '/usr/lib/go/bin/go']) if (existsSync(candidate)) return candidate;
  throw new Error('s3-server: the Go toolchain (go) is needed to build MinIO and was not found');
}

/** Builds MinIO unless the pinned binary is already there; returns its path. */
export function installMinio(log = defaultLog): string {
  const binary = minioBinary();
  if (existsSync(binary)) return binary;
  const go = goCommand();
  const buildDir = `${dirname(binary)}.build-${process.pid}`;
  mkdirSync(buildDir, { recursive: true });
  log(`building MinIO ${MINIO_VERSION} from its Go module (first time only; a few minutes)`);
  const started = Date.now();
  const result = spawnSync(go, ['install', `${MINIO_MODULE}@${MINIO_VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    // The environment is otherwise left alone so Go's build cache from an earlier build is reused.
    env: { ...process.env, GOBIN: buildDir },
  });
  if (result.status !== 0 || !existsSync(join(buildDir, 'minio'))) {
    rmSync(buildDir, { recursive: true, force: true });
    throw new Error(`s3-server: go install ${MINIO_MODULE}@${MINIO_VERSION} failed (exit ${result.status})`);
  }
  mkdirSync(dirname(binary), { recursive: true });
  renameSync(join(buildDir, 'minio'), binary);
  rmSync(buildDir, { recursive: true, force: true });
  log(`built ${binary} in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}

async function answers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://${S3_HOST}:${port}/minio/health/ready`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(port: number): number | undefined {
  const file = join(stateDir(port), 'minio.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export async function s3ServerRunning(port = DEFAULT_S3_PORT): Promise<boolean> {
  return answers(port);
}

/** Starts MinIO on `port` unless it already answers there. */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3ServerInfo> {
  const port = options.port ?? DEFAULT_S3_PORT;
  const log = options.log ?? defaultLog;
  const endpoint = `http://${S3_HOST}:${port}`;
  if (await answers(port)) return { endpoint, port, pid: readPid(port), alreadyRunning: true };
  const binary = installMinio(log);
  const state = stateDir(port);
  const dataDir = resolve(options.dataDir ?? join(state, 'data'));
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(state, { recursive: true });
  const logFile = join(state, 'minio.log');
  const out = openSync(logFile, 'a');
  const child = spawn(binary, ['server', dataDir, '--address', `${S3_HOST}:${port}`, '--quiet'], {
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      MINIO_ROOT_USER: S3_TEST_ACCESS_KEY,
      MINIO_ROOT_PASSWORD: S3_TEST_SECRET_KEY,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      MINIO_CI_CD: '1',
    },
  });
  closeSync(out);
  child.unref();
  writeFileSync(join(state, 'minio.pid'), `${child.pid}\n`);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await answers(port)) {
      log(`MinIO listening on ${endpoint} (pid ${child.pid}, data ${dataDir})`);
      return { endpoint, port, pid: child.pid, alreadyRunning: false };
    }
    if (child.pid === undefined || !alive(child.pid)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (child.pid !== undefined && alive(child.pid)) process.kill(child.pid, 'SIGKILL');
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new Error(`s3-server: MinIO did not become ready on ${endpoint}; log ${logFile}:\n${tail}`);
}

/** Stops the MinIO this script started on `port`; `signal` SIGKILL simulates a crash. */
export async function stopS3Server(options: { port?: number; signal?: NodeJS.Signals; log?: (line: string) => void } = {}): Promise<boolean> {
  const port = options.port ?? DEFAULT_S3_PORT;
  const pid = readPid(port);
  const pidFile = join(stateDir(port), 'minio.pid');
  if (pid === undefined || !alive(pid)) {
    rmSync(pidFile, { force: true });
    return false;
  }
  process.kill(pid, options.signal ?? 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
  rmSync(pidFile, { force: true });
  (options.log ?? defaultLog)(`MinIO on port ${port} stopped (pid ${pid})`);
  return true;
}

async function cli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let port = DEFAULT_S3_PORT;
  let dataDir: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!.replace(/-/g, '_');
    if (flag === '__port') port = Number(rest[++i]);
    else if (flag === '__data_dir') dataDir = rest[++i];
    else {
      process.stderr.write(`s3-server: unknown argument ${rest[i]}\n`);
      return 2;
    }
  }
  switch (command) {
    case 'install':
      process.stdout.write(`${installMinio()}\n`);
      return 0;
    case 'start': {
      const info = await startS3Server({ port, ...(dataDir !== undefined && { dataDir }) });
      process.stdout.write(`${info.alreadyRunning ? 'already running' : 'started'}: ${info.endpoint} (access key ${S3_TEST_ACCESS_KEY})\n`);
      return 0;
    }
    case 'stop':
      process.stdout.write((await stopS3Server({ port })) ? 'stopped\n' : 'not running\n');
      return 0;
    case 'status': {
      const up = await answers(port);
      process.stdout.write(up ? `running: http://${S3_HOST}:${port}\n` : 'not running\n');
      return up ? 0 : 3;
    }
    default:
      process.stderr.write('Usage: node --import tsx scripts/s3-server.ts install|start|stop|status [--port N] [--data_dir DIR]\n');
      return 2;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await cli(process.argv.slice(2));
}
