/**
 * One wording for "Kafka does not answer", whichever program meets it (a producer setting up,
 * a consumer's start-up check, a consumer connecting): ERR_KAFKA_UNREACHABLE naming the topic,
 * the bootstrap servers and what to do. And the quick probe behind it: at start-up an
 * unreachable broker is a wrong address or a broker not started, not an outage to wait out, so
 * when no bootstrap server accepts a TCP connection the program says so at once instead of
 * after kafkajs's ~10 s of connection retries.
 */
import { connect } from 'node:net';
import { DataFileStreamError } from '../errors.js';

export type KafkaAction = 'produce to' | 'consume from';

export function kafkaUnreachable(action: KafkaAction, topic: string, brokers: readonly string[], detail: string, cause?: unknown): DataFileStreamError {
  const where = brokers.join(',');
  return new DataFileStreamError(
    'ERR_KAFKA_UNREACHABLE',
    `cannot ${action} topic "${topic}": Kafka at ${where} does not answer (${detail}); for a local broker run \`datafile-stream broker start\`, otherwise check bootstrap.servers in the config`,
    { topic, brokers: where },
    cause,
  );
}

/** Why no bootstrap server accepts a TCP connection (one reason per server), or undefined when one does. */
export async function refusedByEveryBroker(brokers: readonly string[], timeoutMs = 3000): Promise<string | undefined> {
  const refusals = await Promise.all(brokers.map((b) => tcpRefusal(b, timeoutMs)));
  return refusals.every((r) => r !== undefined) ? refusals.join('; ') : undefined;
}

/** Why `host:port` does not accept a TCP connection, or undefined when it does. */
function tcpRefusal(broker: string, timeoutMs: number): Promise<string | undefined> {
  const colon = broker.lastIndexOf(':');
  const host = broker.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(broker.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) return Promise.resolve(undefined); // let kafkajs judge the address
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (why: string | undefined): void => {
      socket.destroy();
      resolve(why);
    };
    socket.once('connect', () => done(undefined));
    socket.once('timeout', () => done(`${broker}: no answer within ${timeoutMs} ms`));
    socket.once('error', (err: NodeJS.ErrnoException) => done(`${broker}: ${err.code ?? err.message}`));
  });
}
