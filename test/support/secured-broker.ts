/**
 * A secured local broker (SASL_SSL, `broker start --security sasl_ssl`) for one test file: started
 * on free loopback ports in a temp data dir (with DATAFILE_STREAM_HOME pointed there, so the
 * per-port record is not written beside the shared broker's), stopped and removed after the
 * file's tests. The shared plaintext broker on 9092 is never touched.
 *
 * Also: an admin client on it (as the broker's admin user), the client users' environment, a
 * CLI runner that passes an environment, and a CA that did not sign the broker's certificate.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { keytoolBeside, makeCertificateAuthority } from '../../lib/broker/broker-certificates.js';
import { PASSWORD_VAR, probeSecurityOf, readBrokerUsers, USERNAME_VAR, type BrokerUsers } from '../../lib/broker/broker-security.js';
import { findJava } from '../../lib/broker/java-tools.js';
import { startBroker, stopBroker, type StartBrokerResult } from '../../lib/broker/local-kafka.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { closedPort } from './closed-port.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SecuredBroker {
  port: number;
  dataDir: string;
  started: StartBrokerResult;
  users: BrokerUsers;
  /** The client user's variables, as client.env sets them. */
  env: NodeJS.ProcessEnv;
  /** A CA file that did not sign the broker's certificate. */
  otherCaFile: string;
  withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export async function startSecuredBroker(): Promise<SecuredBroker> {
  const home = await mkdtemp(join(tmpdir(), 'dfs-secured-'));
  process.env.DATAFILE_STREAM_HOME = home;
  const port = await closedPort();
  let controllerPort = await closedPort();
  while (controllerPort === port) controllerPort = await closedPort();
  const dataDir = join(home, 'broker');
  const started = await startBroker({ security: 'sasl_ssl', port, controllerPort, dataDir, startTimeoutMs: 120_000 });
  const users = readBrokerUsers(dataDir)!;
  const otherCa = join(home, 'other-ca');
  await makeCertificateAuthority(keytoolBeside(await findJava()), otherCa, 'some other CA');
  const security = probeSecurityOf(dataDir)!;
  return {
    port,
    dataDir,
    started,
    users,
    env: { ...process.env, [USERNAME_VAR]: users.client.username, [PASSWORD_VAR]: users.client.password },
    otherCaFile: join(otherCa, 'ca.pem'),
    async withAdmin(fn) {
      const admin = createKafka({ brokers: [`127.0.0.1:${port}`], clientId: 'secured-tests', ...security, engine: 'kafkajs' }).admin();
      await admin.connect();
      try {
        return await fn(admin);
      } finally {
        await admin.disconnect();
      }
    },
    async stop() {
      await stopBroker({ port, dataDir }).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
}

export interface EnvCliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `datafile-stream <args>` through tsx with `env`, stdin closed, output captured. */
export function runCliWithEnv(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<EnvCliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'datafile-stream.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`datafile-stream ${args.join(' ')} did not exit within ${timeoutMs} ms\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The text of a file, or '' when it cannot be read. */
export function textOf(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
