/**
 * kafka-probe: is there a Kafka broker answering on 127.0.0.1:port?
 *
 * In: a port and a time budget. Out: `closed` (nothing listens: the TCP connect is refused),
 * `kafka` (a kafkajs admin client got cluster metadata back) or `other` (something listens but
 * does not answer as Kafka within the budget). One bounded attempt, no retries, no logging: the
 * caller polls and decides what each answer means. A secured broker (SASL_SSL) is asked with the
 * credentials and CA its data dir holds (`ProbeSecurity`), the same way a client would connect.
 */
import { connect } from 'node:net';
import { createKafka } from '../kafka/kafka-client.js';

export type ProbeResult = 'kafka' | 'closed' | 'other';

/** How to reach a secured broker: its CA and a SCRAM user. */
export interface ProbeSecurity {
  ssl: { ca: string[] };
  sasl: { mechanism: 'scram-sha-512'; username: string; password: string };
}

const HOST = '127.0.0.1';

function tcpOpen(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function answersMetadata(port: number, timeoutMs: number, security: ProbeSecurity | undefined): Promise<boolean> {
  const admin = createKafka({
    brokers: [`${HOST}:${port}`],
    ...security,
    clientId: 'datafile-stream-probe',
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const attempt = (async () => {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.some((broker) => broker.port === port);
  })().catch(() => false);
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

export async function probeKafka(port: number, timeoutMs = 5000, security?: ProbeSecurity): Promise<ProbeResult> {
  if (!(await tcpOpen(port, Math.min(timeoutMs, 2000)))) return 'closed';
  return (await answersMetadata(port, timeoutMs, security)) ? 'kafka' : 'other';
}
