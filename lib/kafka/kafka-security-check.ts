/**
 * kafka-security-check: at start-up, one connection with the config's TLS and SASL settings and
 * no retries, so a setting the broker will never accept fails at once with one coded line
 * instead of inside a client's retry loop (kafkajs spends ~10 s retrying a certificate it cannot
 * verify; librdkafka reports every one of these as "Broker transport failure").
 *
 * It connects through kafkajs whichever engine the program then uses: both engines get their
 * settings from the same kafkajs-shaped options (config/kafka-options.ts), and whether a broker
 * accepts a credential or a certificate does not depend on the client asking.
 *
 * Only failures no retry can mend become errors, each one line naming the broker:
 * - ERR_KAFKA_AUTH: the broker refused the SASL handshake (a wrong password, an unknown user, a
 *   mechanism it does not enable). The message names the mechanism and user, never the password.
 * - ERR_KAFKA_TLS: the broker's certificate does not verify against the configured CA or does
 *   not name the host, or a client without TLS reached a port that completes a TLS handshake.
 * Anything else (a timeout, a refused or closed connection) is left to the client and its
 * retries, which exist for a broker that is restarting.
 */
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { DataFileStreamError } from '../errors.js';
import { createKafka } from './kafka-client.js';
import { kafkajsErrorChain } from './kafkajs-error-chain.js';
import type { KafkaAction } from './kafka-unreachable.js';

export interface SecurityCheckClient {
  brokers: string[];
  ssl?: boolean | ConnectionOptions;
  sasl?: SASLOptions;
}

/** Node's codes for a certificate the client does not accept (and OpenSSL's alerts, ERR_SSL_*). */
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface Link {
  name?: unknown;
  type?: unknown;
  code?: unknown;
  message?: unknown;
}

export async function checkKafkaSecurity(client: SecurityCheckClient, action: KafkaAction, topic: string, timeoutMs = 5000): Promise<void> {
  const admin = createKafka({
    brokers: client.brokers,
    clientId: 'datafile-stream-check',
    ...(client.ssl !== undefined && { ssl: client.ssl }),
    ...(client.sasl !== undefined && { sasl: client.sasl }),
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    engine: 'kafkajs',
  }).admin();
  let failure: DataFileStreamError | undefined;
  try {
    await admin.connect();
  } catch (err) {
    failure = await classify(err, client, action, topic, timeoutMs);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (failure !== undefined) throw failure;
}

async function classify(err: unknown, client: SecurityCheckClient, action: KafkaAction, topic: string, timeoutMs: number): Promise<DataFileStreamError | undefined> {
  const chain = kafkajsErrorChain(err) as Link[];
  const where = client.brokers.join(',');
  const innermost = String(chain.at(-1)?.message ?? err);
  if (chain.some((e) => e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED')) {
    const sasl = client.sasl as { mechanism?: string; username?: string } | undefined;
    const who = `SASL ${String(sasl?.mechanism ?? '').toUpperCase()} authentication${sasl?.username !== undefined ? ` as user "${sasl.username}"` : ''}`;
    return new DataFileStreamError(
      'ERR_KAFKA_AUTH',
      `cannot ${action} topic "${topic}": Kafka at ${where} refused ${who} (${innermost}); check sasl.username, sasl.password and sasl.mechanism in the config`,
      { topic, brokers: where },
    );
  }
  const code = chain.map((e) => e.code).find((c): c is string => typeof c === 'string' && (CERTIFICATE_CODES.has(c) || c.startsWith('ERR_SSL_')));
  if (code !== undefined) {
    return new DataFileStreamError(
      'ERR_KAFKA_TLS',
      `cannot ${action} topic "${topic}": the TLS handshake with Kafka at ${where} failed (${code}: ${innermost}); check ssl.ca.location (the CA that signed the broker's certificate) and that bootstrap.servers names a host the certificate is for`,
      { topic, brokers: where },
    );
  }
  const tlsBroker = client.ssl === undefined || client.ssl === false ? await firstSpeakingTls(client.brokers, timeoutMs) : undefined;
  if (tlsBroker !== undefined) {
    const protocol = client.sasl !== undefined ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
    return new DataFileStreamError(
      'ERR_KAFKA_TLS',
      `cannot ${action} topic "${topic}": Kafka at ${tlsBroker} speaks TLS, but the config's security.protocol is ${protocol}; set security.protocol = SSL or SASL_SSL (and ssl.ca.location for a private CA)`,
      { topic, brokers: where },
    );
  }
  return undefined;
}

/** The first of `brokers` that completes a TLS handshake (certificate not checked: only the protocol matters here). */
async function firstSpeakingTls(brokers: readonly string[], timeoutMs: number): Promise<string | undefined> {
  for (const broker of brokers) {
    if (await speaksTls(broker, timeoutMs)) return broker;
  }
  return undefined;
}

function speaksTls(broker: string, timeoutMs: number): Promise<boolean> {
  const colon = broker.lastIndexOf(':');
  const host = broker.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(broker.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, timeout: timeoutMs });
    const done = (tls: boolean): void => {
      socket.destroy();
      resolve(tls);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
