/**
 * broker-security: what makes the local broker a secured one (`broker start --security sasl_ssl`),
 * as pure functions of its settings plus the one file of generated passwords.
 *
 * - The client listener is SASL_SSL on its own port (default 9094, so the plaintext development
 *   broker on 9092 keeps running beside it); the KRaft controller listener stays plaintext on
 *   loopback, where only the broker itself talks to it. Brokers talk to each other over the
 *   SASL_SSL listener with SASL PLAIN as `broker-admin`.
 * - Two mechanisms are enabled: PLAIN (users listed in the listener's JAAS line) and
 *   SCRAM-SHA-512 (credentials stored in the KRaft metadata when storage is formatted, through
 *   kafka-storage's `--add-scram`). One client user, `datafile-stream`, exists for both.
 * - Passwords are random, made once per data dir and kept in `<dataDir>/users.json` (mode 0600):
 *   a formatted data dir holds the SCRAM credentials, so they must not change between starts.
 * - For clients it writes OpenMSIStream-style config files (`client-scram-sha-512.config`,
 *   `client-plain.config`) whose `sasl.username`/`sasl.password` are `$KAFKA_SASL_USERNAME` and
 *   `$KAFKA_SASL_PASSWORD`, and `client.env` (mode 0600) that sets those two: the password is
 *   in a file only the user can read, never printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { BrokerCertificates } from './broker-certificates.js';
import type { ProbeSecurity } from './kafka-probe.js';

export const BROKER_SECURITIES = ['plaintext', 'sasl_ssl'] as const;
export type BrokerSecurity = (typeof BROKER_SECURITIES)[number];
export const DEFAULT_SECURED_PORT = 9094;
export const CLIENT_USER = 'datafile-stream';
export const ADMIN_USER = 'broker-admin';
export const USERNAME_VAR = 'KAFKA_SASL_USERNAME';
export const PASSWORD_VAR = 'KAFKA_SASL_PASSWORD';
export const CLIENT_MECHANISMS = ['SCRAM-SHA-512', 'PLAIN'] as const;
export type ClientMechanism = (typeof CLIENT_MECHANISMS)[number];

export interface BrokerUser {
  username: string;
  password: string;
}

export interface BrokerUsers {
  admin: BrokerUser;
  client: BrokerUser;
}

export function checkBrokerSecurity(value: unknown): BrokerSecurity {
  if (typeof value === 'string' && (BROKER_SECURITIES as readonly string[]).includes(value.toLowerCase())) return value.toLowerCase() as BrokerSecurity;
  throw new ConfigError('ERR_INVALID_OPTION', `security must be one of ${BROKER_SECURITIES.join(', ')}, got "${String(value)}"`, { option: 'security' });
}

export function usersFile(dataDir: string): string {
  return join(dataDir, 'users.json');
}

/** The users of a secured data dir, or undefined when it has none (a plaintext broker's). */
export function readBrokerUsers(dataDir: string): BrokerUsers | undefined {
  if (!existsSync(usersFile(dataDir))) return undefined;
  return JSON.parse(readFileSync(usersFile(dataDir), 'utf8')) as BrokerUsers;
}

/** The data dir's users, made with random passwords on first use. Hex: no quoting in JAAS or --add-scram. */
export async function ensureBrokerUsers(dataDir: string): Promise<BrokerUsers> {
  const known = readBrokerUsers(dataDir);
  if (known !== undefined) return known;
  const users: BrokerUsers = {
    admin: { username: ADMIN_USER, password: randomBytes(16).toString('hex') },
    client: { username: CLIENT_USER, password: randomBytes(16).toString('hex') },
  };
  await writeFile(usersFile(dataDir), `${JSON.stringify(users, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return users;
}

/** The server.properties settings that replace the plaintext client listener with SASL_SSL. */
export function securedServerProperties(port: number, controllerPort: number, users: BrokerUsers, certs: BrokerCertificates): Record<string, string> {
  const host = '127.0.0.1';
  const plainUsers = [users.admin, users.client].map((u) => `user_${u.username}="${u.password}"`).join(' ');
  return {
    listeners: `SASL_SSL://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `SASL_SSL://${host}:${port}`,
    'inter.broker.listener.name': 'SASL_SSL',
    'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms': CLIENT_MECHANISMS.join(','),
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'listener.name.sasl_ssl.plain.sasl.jaas.config':
      `org.apache.kafka.common.security.plain.PlainLoginModule required username="${users.admin.username}" password="${users.admin.password}" ${plainUsers};`,
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': certs.keystoreFile,
    'ssl.keystore.password': certs.keystorePassword,
    'ssl.key.password': certs.keystorePassword,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caFile,
    'ssl.client.auth': 'none',
  };
}

/** kafka-storage format arguments that store both users' SCRAM-SHA-512 credentials. */
export function scramFormatArguments(users: BrokerUsers): string[] {
  return [users.admin, users.client].flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`]);
}

export function clientConfigFile(dataDir: string, mechanism: ClientMechanism): string {
  return join(dataDir, `client-${mechanism.toLowerCase()}.config`);
}

export function clientEnvFile(dataDir: string): string {
  return join(dataDir, 'client.env');
}

export function renderClientConfig(port: number, caFile: string, mechanism: ClientMechanism): string {
  return [
    `# Written by \`datafile-stream broker start --security sasl_ssl\`: the secured local broker, SASL ${mechanism} over TLS.`,
    `# Set the two variables first: set -a; . ./client.env; set +a (the file beside this one).`,
    '# For a managed cluster, keep these keys and change the values (see `datafile-stream broker --help`).',
    '',
    '[broker]',
    `bootstrap.servers = 127.0.0.1:${port}`,
    'security.protocol = SASL_SSL',
    `sasl.mechanism    = ${mechanism}`,
    `sasl.username     = $${USERNAME_VAR}`,
    `sasl.password     = $${PASSWORD_VAR}`,
    `ssl.ca.location   = ${caFile}`,
    '',
    '[producer]',
    'compression.type = lz4',
    'key.serializer   = StringSerializer',
    'value.serializer = DataFileChunkSerializer',
    '',
    '[consumer]',
    'group.id           = create_new',
    'auto.offset.reset  = earliest',
    'enable.auto.commit = False',
    'key.deserializer   = StringDeserializer',
    'value.deserializer = DataFileChunkDeserializer',
    '',
  ].join('\n');
}

export function renderClientEnv(user: BrokerUser): string {
  return `${USERNAME_VAR}=${user.username}\n${PASSWORD_VAR}=${user.password}\n`;
}

/** The client files of a secured data dir: both configs and the env file. */
export async function writeClientFiles(dataDir: string, port: number, caFile: string, users: BrokerUsers): Promise<void> {
  for (const mechanism of CLIENT_MECHANISMS) await writeFile(clientConfigFile(dataDir, mechanism), renderClientConfig(port, caFile, mechanism));
  await writeFile(clientEnvFile(dataDir), renderClientEnv(users.client), { mode: 0o600 });
}

export function caFileOf(dataDir: string): string {
  return join(dataDir, 'tls', 'ca.pem');
}

/** How the broker's own start-up and status checks reach a secured data dir's broker (as its admin), or undefined for a plaintext one. */
export function probeSecurityOf(dataDir: string): ProbeSecurity | undefined {
  const users = readBrokerUsers(dataDir);
  if (users === undefined || !existsSync(caFileOf(dataDir))) return undefined;
  return { ssl: { ca: [readFileSync(caFileOf(dataDir), 'utf8')] }, sasl: { mechanism: 'scram-sha-512', ...users.admin } };
}
