/**
 * broker-certificates: a throwaway certificate authority and the secured local broker's TLS
 * certificate, made with the JDK's `keytool` (it ships with every Java the broker needs, so
 * nothing else is required) and cached in a directory.
 *
 * In: a directory. Out: the CA certificate as PEM (`ca.pem`, what clients name in
 * `ssl.ca.location`) and the broker's PKCS12 keystore (`broker.p12`: its key, its certificate
 * for `localhost` and `127.0.0.1` signed by the CA, and the CA). When `<dir>/.complete` exists
 * nothing runs; otherwise everything is made again in a private folder and renamed into place,
 * so a half-made set (a start killed midway) is never used.
 *
 * The CA's private key stays in `ca.p12` beside them: it signs nothing else, and deleting the
 * directory makes a new CA on the next start (clients then need the new `ca.pem`).
 * Store passwords are random, kept in `store-password` (mode 0600) for the broker's properties.
 *
 * Errors: ERR_BROKER_MISSING_TOOL when keytool is absent, ERR_BROKER_START with keytool's
 * output when a step fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { BrokerError } from '../errors.js';
import { lastLines, runTool } from './java-tools.js';

export interface BrokerCertificates {
  /** The CA certificate, PEM: what clients trust. */
  caFile: string;
  /** The broker's PKCS12 keystore: key, certificate chain. */
  keystoreFile: string;
  /** The keystore's (and its key's) password. */
  keystorePassword: string;
}

const COMPLETE_MARKER = '.complete';
const VALID_DAYS = '3650';

/** `keytool` beside the java the broker runs with. */
export function keytoolBeside(java: string): string {
  return java.includes('/') ? join(dirname(java), 'keytool') : 'keytool';
}

function certificatesOf(dir: string): BrokerCertificates {
  return {
    caFile: join(dir, 'ca.pem'),
    keystoreFile: join(dir, 'broker.p12'),
    keystorePassword: readFileSync(join(dir, 'store-password'), 'utf8').trim(),
  };
}

async function keytool(command: string, args: string[], cwd: string): Promise<void> {
  let result;
  try {
    result = await runTool(command, args, { cwd });
  } catch (err) {
    throw new BrokerError('ERR_BROKER_MISSING_TOOL', `keytool not found (${command}): install a full Java 17+ runtime, which includes it`, { tool: 'keytool', command }, err);
  }
  if (result.code !== 0) {
    throw new BrokerError('ERR_BROKER_START', `keytool ${args[0]} failed while making the broker's certificates in ${cwd}:\n${lastLines(result.output, 10)}`, { path: cwd });
  }
}

/** A CA (`ca.p12` with its key, `ca.pem` its certificate) in `dir`; the store password is returned. */
export async function makeCertificateAuthority(keytoolCommand: string, dir: string, name = 'datafile-stream local broker CA'): Promise<string> {
  await mkdir(dir, { recursive: true });
  const password = randomBytes(18).toString('hex');
  const store = ['-keystore', 'ca.p12', '-storetype', 'PKCS12', '-storepass', password];
  await keytool(keytoolCommand, ['-genkeypair', '-alias', 'ca', '-keyalg', 'EC', '-groupname', 'secp256r1', '-dname', `CN=${name}`, '-ext', 'bc:c', '-validity', VALID_DAYS, ...store], dir);
  await keytool(keytoolCommand, ['-exportcert', '-rfc', '-alias', 'ca', '-file', 'ca.pem', ...store], dir);
  return password;
}

async function makeBrokerKeystore(keytoolCommand: string, dir: string, caPassword: string, password: string): Promise<void> {
  const ca = ['-keystore', 'ca.p12', '-storetype', 'PKCS12', '-storepass', caPassword];
  const store = ['-keystore', 'broker.p12', '-storetype', 'PKCS12', '-storepass', password];
  await keytool(keytoolCommand, ['-genkeypair', '-alias', 'broker', '-keyalg', 'EC', '-groupname', 'secp256r1', '-dname', 'CN=localhost', '-validity', VALID_DAYS, ...store], dir);
  await keytool(keytoolCommand, ['-certreq', '-alias', 'broker', '-file', 'broker.csr', ...store], dir);
  // The names clients connect by: hostname verification is on in every client by default.
  const extensions = ['-ext', 'SAN=dns:localhost,ip:127.0.0.1', '-ext', 'KU=digitalSignature,keyEncipherment', '-ext', 'EKU=serverAuth,clientAuth'];
  await keytool(keytoolCommand, ['-gencert', '-rfc', '-alias', 'ca', '-infile', 'broker.csr', '-outfile', 'broker.pem', '-validity', VALID_DAYS, ...extensions, ...ca], dir);
  await keytool(keytoolCommand, ['-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', ...store], dir);
  await keytool(keytoolCommand, ['-importcert', '-noprompt', '-alias', 'broker', '-file', 'broker.pem', ...store], dir);
}

export async function ensureBrokerCertificates(keytoolCommand: string, dir: string): Promise<BrokerCertificates> {
  if (existsSync(join(dir, COMPLETE_MARKER))) return certificatesOf(dir);
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    const caPassword = await makeCertificateAuthority(keytoolCommand, staging);
    const password = randomBytes(18).toString('hex');
    await makeBrokerKeystore(keytoolCommand, staging, caPassword, password);
    await writeFile(join(staging, 'store-password'), `${password}\n`, { mode: 0o600 });
    await writeFile(join(staging, 'ca-store-password'), `${caPassword}\n`, { mode: 0o600 });
    await writeFile(join(staging, COMPLETE_MARKER), '');
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return certificatesOf(dir);
}
