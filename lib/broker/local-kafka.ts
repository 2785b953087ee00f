/**
 * local-kafka: a real single-node Apache Kafka (KRaft, broker and controller in one JVM) on
 * 127.0.0.1, for development, tests and CI. `datafile-stream broker start|stop|status` and
 * scripts/broker.ts are thin shells over the three functions here.
 *
 * Version: Kafka 4.4.0, the newest 4.x release when this was pinned. kafkajs 2.2.4 was verified
 * against it (test/integration/kafkajs-compat.test.ts): createTopics, deleteTopics, produce with
 * none, gzip, lz4 and snappy, consume in a group with manual commits, fetchTopicOffsets,
 * fetchOffsets. Kafka 4 dropped old protocol versions (KIP-896), but the versions kafkajs 2.2.4
 * negotiates are all still served, so nothing failed and no 3.9.x fallback was needed.
 *
 * startBroker(opts):
 *   1. A Kafka broker already answers on the port -> reuse it (alreadyRunning: true), start
 *      nothing. Something else listens there -> ERR_BROKER_START.
 *   2. Under a start lock in the data dir (so parallel test files cannot start two JVMs on one
 *      data dir), fetch the jars once (kafka-jars.ts, via Maven), write server.properties and the
 *      log4j2 config, format KRaft storage if the data dir is new, and spawn java detached with
 *      output to <dataDir>/broker.log (the previous run's log is kept as broker.log.1).
 *   3. Record the pid in <dataDir>/broker.pid and wait until the broker answers a metadata
 *      request and can host partitions (broker-ready.ts). The JVM exiting first ->
 *      ERR_BROKER_START; no answer within startTimeoutMs
 *      (60 s) -> the JVM is killed and ERR_BROKER_TIMEOUT; both carry the log's last lines.
 * stopBroker(opts): SIGTERM to the recorded pid, SIGKILL after stopTimeoutMs; removes the pid
 *   file. A broker this data dir did not start is left alone (reason: 'not-managed').
 * brokerStatus(opts): whether the port answers as Kafka, and the recorded pid, dirs, version.
 *
 * Data dir per port: start records the data dir of the broker it started or found running
 * (broker-port-record.ts). stop and status without `dataDir` use that recorded data dir when its
 * broker is alive and the default one's is not, so `start --data_dir X --port P` is followed by
 * a plain `status --port P` / `stop --port P`. Given `dataDir`, they use it and nothing else.
 *
 * Secured (`security: 'sasl_ssl'`, broker-security.ts): the client listener is SASL_SSL (default
 * port 9094, beside the plaintext 9092), with a throwaway CA and certificate made by keytool
 * (broker-certificates.ts, cached in <dataDir>/tls), SASL PLAIN and SCRAM-SHA-512 users with
 * random passwords (<dataDir>/users.json, SCRAM credentials stored when storage is formatted),
 * and ready client config files in the data dir. Every probe of a data dir that has users (start,
 * stop, status) connects as its admin over TLS, so status and stop need no flag to find it.
 *
 * Missing or too-old java, missing mvn (only needed while jars are absent): one-line
 * ERR_BROKER_MISSING_TOOL saying what to install. Bad options: ConfigError ERR_INVALID_OPTION.
 */
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { BrokerError, ConfigError } from '../errors.js';
import { newClusterId, renderLog4j2Properties, renderServerProperties } from './broker-files.js';
import { forgetDataDir, recalledDataDir, rememberDataDir } from './broker-port-record.js';
import { isAlive, isKafkaProcessOf, readPid, terminate } from './broker-process.js';
import { findJava, lastLines, runTool } from './java-tools.js';
import { ensureBrokerCertificates, keytoolBeside } from './broker-certificates.js';
import {
  checkBrokerSecurity,
  clientConfigFile,
  clientEnvFile,
  CLIENT_MECHANISMS,
  DEFAULT_SECURED_PORT,
  ensureBrokerUsers,
  probeSecurityOf,
  readBrokerUsers,
  scramFormatArguments,
  securedServerProperties,
  writeClientFiles,
  type BrokerSecurity,
  type ClientMechanism,
} from './broker-security.js';
import { ensureKafkaJars, hasKafkaJars } from './kafka-jars.js';
import { probeKafka } from './kafka-probe.js';
import { hostsPartitions } from './broker-ready.js';

export const KAFKA_VERSION = '4.4.0';
/** log4j2 of the same line Kafka 4.4.0 depends on; only its slf4j binding is added. */
export const LOG4J_VERSION = '2.25.5';
export const DEFAULT_BROKER_PORT = 9092;

export interface LocalBrokerOptions {
  /** The client listener: `plaintext` (default) or `sasl_ssl` (TLS with SASL PLAIN and SCRAM-SHA-512). */
  security?: BrokerSecurity;
  /** Client port on 127.0.0.1, default 9092 (9094 with `security: 'sasl_ssl'`). */
  port?: number;
  /** KRaft controller port on 127.0.0.1, default port + 1. */
  controllerPort?: number;
  /** Default `$DATAFILE_STREAM_HOME/broker-<port>`, else `~/.cache/datafile-stream/broker-<port>`. */
  dataDir?: string;
  /** Jar cache, default `~/.cache/datafile-stream/kafka-<version>`. */
  cacheDir?: string;
  logger?: Logger;
  /** How long start waits for the broker to answer, default 60 s. */
  startTimeoutMs?: number;
  /** How long stop waits after SIGTERM before SIGKILL, default 30 s. */
  stopTimeoutMs?: number;
  /** JVM maximum heap, default `512m` (the machines have 2 cores and share them with tests). */
  heap?: string;
  /** Broker settings that replace or add to the defaults (e.g. `auto.create.topics.enable`). */
  serverProperties?: Record<string, string | number | boolean>;
}

export interface StartBrokerResult {
  port: number;
  /** The broker's pid; undefined when an already-running broker was not started from this data dir. */
  pid: number | undefined;
  alreadyRunning: boolean;
  dataDir: string;
  logFile: string;
  version: string;
  security: BrokerSecurity;
  /** For a secured broker: the client config files per SASL mechanism, the env file that sets their variables, the CA. */
  client?: { configFiles: Record<ClientMechanism, string>; envFile: string; caFile: string };
}

export interface StopBrokerResult {
  port: number;
  stopped: boolean;
  pid?: number;
  /** SIGTERM was not enough within stopTimeoutMs. */
  forced?: boolean;
  /** Why nothing was stopped: nothing runs, or what answers on the port was not started from this data dir. */
  reason?: 'not-running' | 'not-managed';
  /** The data dir of the broker that was stopped. */
  dataDir?: string;
}

export interface BrokerStatus {
  running: boolean;
  /** What the port answered: a Kafka broker, nothing, or something else. */
  listening: 'kafka' | 'closed' | 'other';
  port: number;
  controllerPort: number;
  /** The live process recorded in the data dir, if any. */
  pid?: number;
  dataDir: string;
  logFile: string;
  cacheDir: string;
  jarsCached: boolean;
  version: string;
}

interface Resolved {
  security: BrokerSecurity;
  port: number;
  controllerPort: number;
  dataDir: string;
  cacheDir: string;
  logger: Logger | undefined;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  heap: string;
  extraProperties: Record<string, string | number | boolean>;
  pidFile: string;
  logFile: string;
  lockFile: string;
  serverProperties: string;
  log4jProperties: string;
  kafkaLogDir: string;
}

function cacheBase(): string {
  return join(homedir(), '.cache', 'datafile-stream');
}

/** Where default data dirs and the per-port records live. */
function stateHome(): string {
  return process.env.DATAFILE_STREAM_HOME || cacheBase();
}

function checkPort(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new ConfigError('ERR_INVALID_OPTION', `${option} must be an integer port 1-65535, got ${String(value)}`, { option });
  }
  return value;
}

function resolveOptions(options: LocalBrokerOptions): Resolved {
  const asked = options.security === undefined ? undefined : checkBrokerSecurity(options.security);
  const port = checkPort(options.port ?? (asked === 'sasl_ssl' ? DEFAULT_SECURED_PORT : DEFAULT_BROKER_PORT), 'port');
  const controllerPort = checkPort(options.controllerPort ?? port + 1, 'controllerPort');
  if (controllerPort === port) throw new ConfigError('ERR_INVALID_OPTION', 'controllerPort must differ from port', { option: 'controllerPort' });
  const heap = options.heap ?? '512m';
  if (!/^\d+[kmg]$/i.test(heap)) throw new ConfigError('ERR_INVALID_OPTION', `heap must look like 512m or 1g, got "${heap}"`, { option: 'heap' });
  // Absolute, because the pid check compares it with the JVM's command line.
  const dataDir = resolve(options.dataDir ?? join(stateHome(), `broker-${port}`));
  // Unasked, a data dir with users is a secured broker's, so `start --port 9094` reuses it as it is.
  const security = asked ?? (readBrokerUsers(dataDir) !== undefined ? 'sasl_ssl' : 'plaintext');
  return {
    security,
    port,
    controllerPort,
    dataDir,
    cacheDir: resolve(options.cacheDir ?? join(cacheBase(), `kafka-${KAFKA_VERSION}`)),
    logger: options.logger,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 30_000,
    heap,
    extraProperties: options.serverProperties ?? {},
    pidFile: join(dataDir, 'broker.pid'),
    logFile: join(dataDir, 'broker.log'),
    lockFile: join(dataDir, 'start.lock'),
    serverProperties: join(dataDir, 'server.properties'),
    log4jProperties: join(dataDir, 'log4j2.properties'),
    kafkaLogDir: join(dataDir, 'kafka-logs'),
  };
}

function liveBrokerPid(r: Resolved): number | undefined {
  const pid = readPid(r.pidFile);
  return pid !== undefined && isAlive(pid) && isKafkaProcessOf(pid, r.serverProperties) ? pid : undefined;
}

/**
 * stop's and status's options: without `dataDir`, the data dir recorded for the port when its
 * broker is alive and the default data dir's is not; otherwise the default, as before.
 */
function resolveForPort(options: LocalBrokerOptions): Resolved {
  const r = resolveOptions(options);
  if (options.dataDir !== undefined) return r;
  const recorded = recalledDataDir(stateHome(), r.port);
  if (recorded === undefined || recorded === r.dataDir || liveBrokerPid(r) !== undefined) return r;
  const atRecorded = resolveOptions({ ...options, dataDir: recorded });
  return liveBrokerPid(atRecorded) !== undefined ? atRecorded : r;
}

function logTail(r: Resolved, count = 25): string {
  try {
    return lastLines(readFileSync(r.logFile, 'utf8').slice(-64 * 1024), count);
  } catch {
    return '(no broker log)';
  }
}

/**
 * Exclusive right to start the broker of one data dir, held as a file with the holder's pid.
 * Returns false when, while waiting, a broker came up on the port: the caller reuses it.
 */
async function acquireStartLock(r: Resolved, deadline: number): Promise<boolean> {
  for (;;) {
    try {
      writeFileSync(r.lockFile, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readPid(r.lockFile);
    if (holder === undefined || !isAlive(holder)) {
      await unlink(r.lockFile).catch(() => undefined);
      continue;
    }
    if ((await probeKafka(r.port, 2000, probeSecurityOf(r.dataDir))) === 'kafka') return false;
    if (Date.now() > deadline) {
      throw new BrokerError('ERR_BROKER_TIMEOUT', `another process (pid ${holder}) is starting the broker in ${r.dataDir} and it did not come up in time`, {
        path: r.lockFile,
        port: r.port,
      });
    }
    await sleep(250);
  }
}

async function formatStorage(r: Resolved, java: string, classpath: string, extraArgs: string[]): Promise<void> {
  if (existsSync(join(r.kafkaLogDir, 'meta.properties'))) return;
  r.logger?.info({ dataDir: r.dataDir }, 'formatting KRaft storage for a new broker');
  const args = ['-Xmx256m', `-Dlog4j2.configurationFile=${r.log4jProperties}`, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '--standalone'];
  const result = await runTool(java, [...args, '--cluster-id', newClusterId(), '--config', r.serverProperties, ...extraArgs], { cwd: r.dataDir });
  if (result.code !== 0) {
    throw new BrokerError('ERR_BROKER_START', `formatting Kafka storage in ${r.kafkaLogDir} failed:\n${lastLines(result.output, 15)}`, { path: r.kafkaLogDir });
  }
}

/** The secured broker's certificates, users and client files; its server settings and format arguments. */
async function securedSetup(r: Resolved, java: string): Promise<{ properties: Record<string, string>; formatArgs: string[] }> {
  if (readBrokerUsers(r.dataDir) === undefined && existsSync(join(r.kafkaLogDir, 'meta.properties'))) {
    throw new BrokerError('ERR_BROKER_START', `${r.dataDir} holds a plaintext broker's data, which has no SASL users; give the secured broker a data dir of its own (--data_dir, or another --port)`, {
      path: r.dataDir,
    });
  }
  const certs = await ensureBrokerCertificates(keytoolBeside(java), join(r.dataDir, 'tls'));
  const users = await ensureBrokerUsers(r.dataDir);
  await writeClientFiles(r.dataDir, r.port, certs.caFile, users);
  return { properties: securedServerProperties(r.port, r.controllerPort, users, certs), formatArgs: scramFormatArguments(users) };
}

function clientFilesOf(r: Resolved): Pick<StartBrokerResult, 'client'> {
  if (r.security !== 'sasl_ssl') return {};
  const configFiles = Object.fromEntries(CLIENT_MECHANISMS.map((m) => [m, clientConfigFile(r.dataDir, m)])) as Record<ClientMechanism, string>;
  return { client: { configFiles, envFile: clientEnvFile(r.dataDir), caFile: join(r.dataDir, 'tls', 'ca.pem') } };
}

async function spawnBroker(r: Resolved, java: string, classpath: string): Promise<{ pid: number; exited: () => number | string | null }> {
  if (existsSync(r.logFile)) await rename(r.logFile, `${r.logFile}.1`);
  const out = openSync(r.logFile, 'a');
  const jvm = [
    '-Xms128m',
    `-Xmx${r.heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${r.log4jProperties}`,
    `-Dkafka.logs.dir=${r.dataDir}`,
  ];
  // Detached, with output to a file rather than a pipe, so the broker outlives this process.
  const child = spawn(java, [...jvm, '-cp', classpath, 'kafka.Kafka', r.serverProperties], { cwd: r.dataDir, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exit: number | string | null = null;
  let exitedFlag = false;
  child.once('exit', (code, signal) => {
    exitedFlag = true;
    exit = code ?? signal;
  });
  await new Promise<void>((spawned, failed) => {
    child.once('spawn', spawned);
    child.once('error', (err) => failed(new BrokerError('ERR_BROKER_START', `could not run ${java}: ${err.message}`, { command: java }, err)));
  });
  child.unref();
  const pid = child.pid!;
  await writeFile(r.pidFile, `${pid}\n`);
  return { pid, exited: () => (exitedFlag ? (exit ?? 'unknown') : null) };
}

async function waitUntilReady(r: Resolved, pid: number, exited: () => number | string | null, deadline: number): Promise<void> {
  for (;;) {
    const exit = exited() ?? (isAlive(pid) ? null : 'unknown');
    if (exit !== null) {
      await rm(r.pidFile, { force: true });
      throw new BrokerError('ERR_BROKER_START', `the Kafka broker exited (${exit}) while starting; last lines of ${r.logFile}:\n${logTail(r)}`, {
        port: r.port,
        path: r.logFile,
      });
    }
    const security = probeSecurityOf(r.dataDir);
    if ((await probeKafka(r.port, 3000, security)) === 'kafka' && (await hostsPartitions(r.port, deadline, security))) return;
    if (Date.now() > deadline) {
      await terminate(pid, 5000);
      await rm(r.pidFile, { force: true });
      throw new BrokerError(
        'ERR_BROKER_TIMEOUT',
        `the Kafka broker did not answer on 127.0.0.1:${r.port} within ${r.startTimeoutMs / 1000} s and was stopped; last lines of ${r.logFile}:\n${logTail(r)}`,
        { port: r.port, path: r.logFile },
      );
    }
    await sleep(250);
  }
}

export async function startBroker(options: LocalBrokerOptions = {}): Promise<StartBrokerResult> {
  const r = resolveOptions(options);
  // Waiting for another process's start may include its first jar fetch, hence the extra time;
  // the broker itself gets startTimeoutMs from its spawn.
  const lockDeadline = Date.now() + r.startTimeoutMs + 300_000;
  const result = (alreadyRunning: boolean, pid: number | undefined): StartBrokerResult => ({
    port: r.port,
    pid,
    alreadyRunning,
    dataDir: r.dataDir,
    logFile: r.logFile,
    version: KAFKA_VERSION,
    security: r.security,
    ...clientFilesOf(r),
  });
  const reuse = async (): Promise<StartBrokerResult> => {
    const pid = liveBrokerPid(r);
    r.logger?.info({ port: r.port, brokerPid: pid }, 'a Kafka broker already answers on 127.0.0.1:%d; reusing it', r.port);
    if (pid !== undefined) await rememberDataDir(stateHome(), r.port, r.dataDir);
    return result(true, pid);
  };

  if (r.security === 'plaintext' && readBrokerUsers(r.dataDir) !== undefined) {
    throw new ConfigError('ERR_INVALID_OPTION', `${r.dataDir} is a secured broker's data dir; start it with --security sasl_ssl, or give the plaintext broker another --data_dir`, { option: 'security' });
  }
  const listening = await probeKafka(r.port, 5000, probeSecurityOf(r.dataDir));
  if (listening === 'kafka') return await reuse();
  if (listening === 'other') {
    throw new BrokerError('ERR_BROKER_START', `127.0.0.1:${r.port} is in use by something that does not answer as a Kafka broker`, { port: r.port });
  }
  await mkdir(r.dataDir, { recursive: true });
  if (!(await acquireStartLock(r, lockDeadline))) return await reuse();
  try {
    if ((await probeKafka(r.port, 5000, probeSecurityOf(r.dataDir))) === 'kafka') return await reuse();
    const running = liveBrokerPid(r);
    if (running !== undefined) {
      // A broker of this data dir is alive but not answering yet: wait for it, never start a second.
      r.logger?.info({ brokerPid: running }, 'the broker of this data dir is still starting; waiting for it');
      await waitUntilReady(r, running, () => null, Date.now() + r.startTimeoutMs);
      await rememberDataDir(stateHome(), r.port, r.dataDir);
      return result(true, running);
    }
    const java = await findJava();
    const libDir = await ensureKafkaJars({ cacheDir: r.cacheDir, kafkaVersion: KAFKA_VERSION, log4jVersion: LOG4J_VERSION, logger: r.logger });
    const classpath = join(libDir, '*');
    const secured = r.security === 'sasl_ssl' ? await securedSetup(r, java) : { properties: {}, formatArgs: [] };
    const extra = { ...secured.properties, ...r.extraProperties };
    await writeFile(r.serverProperties, renderServerProperties({ port: r.port, controllerPort: r.controllerPort, logDir: r.kafkaLogDir, extra }));
    // A secured broker's properties hold its users' PLAIN passwords.
    if (r.security === 'sasl_ssl') await chmod(r.serverProperties, 0o600);
    await writeFile(r.log4jProperties, renderLog4j2Properties());
    await formatStorage(r, java, classpath, secured.formatArgs);
    const { pid, exited } = await spawnBroker(r, java, classpath);
    r.logger?.info({ brokerPid: pid, port: r.port, logFile: r.logFile }, 'Kafka %s starting on 127.0.0.1:%d', KAFKA_VERSION, r.port);
    await waitUntilReady(r, pid, exited, Date.now() + r.startTimeoutMs);
    await rememberDataDir(stateHome(), r.port, r.dataDir);
    r.logger?.info({ brokerPid: pid, port: r.port }, 'Kafka broker is up on 127.0.0.1:%d', r.port);
    return result(false, pid);
  } finally {
    await unlink(r.lockFile).catch(() => undefined);
  }
}

export async function stopBroker(options: LocalBrokerOptions = {}): Promise<StopBrokerResult> {
  const r = resolveForPort(options);
  const pid = liveBrokerPid(r);
  if (pid === undefined) {
    await rm(r.pidFile, { force: true });
    const listening = await probeKafka(r.port, 3000, probeSecurityOf(r.dataDir));
    return { port: r.port, stopped: false, reason: listening === 'closed' ? 'not-running' : 'not-managed' };
  }
  r.logger?.info({ brokerPid: pid, port: r.port }, 'stopping the Kafka broker');
  const forced = await terminate(pid, r.stopTimeoutMs);
  await rm(r.pidFile, { force: true });
  await forgetDataDir(stateHome(), r.port, r.dataDir);
  return { port: r.port, stopped: true, pid, forced, dataDir: r.dataDir };
}

export async function brokerStatus(options: LocalBrokerOptions = {}): Promise<BrokerStatus> {
  const r = resolveForPort(options);
  const listening = await probeKafka(r.port, 3000, probeSecurityOf(r.dataDir));
  const pid = liveBrokerPid(r);
  return {
    running: listening === 'kafka',
    listening,
    port: r.port,
    controllerPort: r.controllerPort,
    ...(pid !== undefined && { pid }),
    dataDir: r.dataDir,
    logFile: r.logFile,
    cacheDir: r.cacheDir,
    jarsCached: hasKafkaJars(r.cacheDir),
    version: KAFKA_VERSION,
  };
}

