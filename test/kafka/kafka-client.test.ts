import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import kafkajs from 'kafkajs';
import pino from 'pino';
import { createKafka, KafkaReachability, pinoLogCreator } from '../../lib/kafka/kafka-client.js';

const { CompressionCodecs, CompressionTypes, logLevel } = kafkajs;

function captureLogger(level: string): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

test('createKafka returns a kafkajs client and registers the LZ4 codec', () => {
  const kafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'test' });
  assert.equal(typeof kafka.producer, 'function');
  assert.equal(typeof kafka.admin, 'function');
  assert.doesNotThrow(() => (CompressionCodecs as Record<number, () => unknown>)[CompressionTypes.LZ4]!());
});

test('kafkajs levels map to pino levels: ERROR->error, WARN->warn, INFO->debug, DEBUG->trace', async () => {
  const { logger, lines } = captureLogger('trace');
  const log = pinoLogCreator(logger)(logLevel.DEBUG);
  const entry = (level: number, message: string) => ({
    namespace: 'Consumer',
    level,
    label: 'x',
    log: { timestamp: '2020-01-01T00:00:00Z', logger: 'kafkajs', message, groupId: 'g1' },
  });
  log(entry(logLevel.ERROR, 'e'));
  log(entry(logLevel.WARN, 'w'));
  log(entry(logLevel.INFO, 'i'));
  log(entry(logLevel.DEBUG, 'd'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      [50, 'e'],
      [40, 'w'],
      [20, 'i'],
      [10, 'd'],
    ],
  );
  for (const line of lines) {
    assert.equal(line.component, 'kafkajs');
    assert.equal(line.namespace, 'Consumer');
    assert.equal(line.groupId, 'g1');
    assert.equal(line.logger, undefined, "kafkajs's own logger name is dropped");
    assert.equal(line.timestamp, undefined, "kafkajs's own timestamp is dropped");
  }
});

test("the broker's transient answers (partition not yet served, leadership moving) are debug, other response errors stay errors", async () => {
  const { logger, lines } = captureLogger('debug');
  const log = pinoLogCreator(logger)(logLevel.DEBUG);
  const response = (error: string) => ({
    namespace: 'Connection',
    level: logLevel.ERROR,
    label: 'ERROR',
    log: { timestamp: '2020-01-01T00:00:00Z', logger: 'kafkajs', message: 'Response ListOffsets(key: 2, version: 3)', error, correlationId: 1 },
  });
  log(response('This server is not the leader for that topic-partition'));
  log(response('This server does not host this topic-partition'));
  log(response('Not authorized to access topics: [Topic authorization failed]'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(lines.map((l) => l.level), [20, 20, 50]);
});

test('a client logs through the pino logger, filtered at the pino level', async () => {
  const { logger, lines } = captureLogger('warn');
  const kafka = createKafka({ brokers: ['127.0.0.1:1'], logger });
  kafka.logger().warn('kept', { topic: 't' });
  kafka.logger().info('dropped: INFO maps to debug, below warn');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg, l.component, l.topic]),
    [[40, 'kept', 'kafkajs', 't']],
  );
});

test('a client without a logger writes nothing to the console', (t) => {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const mocks = methods.map((name) => t.mock.method(console, name, () => undefined));
  const kafka = createKafka({ brokers: ['127.0.0.1:1'] });
  kafka.logger().error('nobody hears this');
  kafka.logger().warn('nor this');
  assert.deepEqual(mocks.map((m) => m.mock.callCount()), [0, 0, 0, 0, 0]);
});

test('a broker outage: kafkajs retry noise goes to debug, one warn "Kafka unreachable, retrying", recovery at info', async () => {
  const { logger, lines } = captureLogger('info');
  const reachability = new KafkaReachability(logger);
  const log = pinoLogCreator(logger, reachability)(logLevel.DEBUG);
  const entry = (namespace: string, message: string, extra: Record<string, unknown> = {}) => ({
    namespace,
    level: logLevel.ERROR,
    label: 'ERROR',
    log: { timestamp: '2020-01-01T00:00:00Z', logger: 'kafkajs', message, broker: '127.0.0.1:9092', ...extra },
  });
  const outage = () => {
    for (let i = 0; i < 50; i++) {
      log(entry('Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'));
      log(entry('BrokerPool', 'Failed to connect to seed broker, trying other brokers in 300ms', { retryCount: i }));
      log(entry('Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:9092', { retryCount: 5 }));
      log(entry('Consumer', 'Restarting the consumer in 3000ms', { retryCount: 5 }));
    }
  };
  outage(); // before the client ever reached Kafka: the caller's own error is the only line
  assert.equal(reachability.state, 'unknown');
  reachability.reached();
  outage();
  outage();
  reachability.reached();
  reachability.reached();
  outage();
  log(entry('Connection', 'Response Metadata(key: 3, version: 6)', { error: 'Not authorized to access topics: [Topic authorization failed]' }));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      [40, 'Kafka unreachable, retrying'],
      [30, 'Kafka reachable again'],
      [40, 'Kafka unreachable, retrying'],
      [50, 'Response Metadata(key: 3, version: 6)'],
    ],
  );
});
