/**
 * kafkaFromConfig and [kafkacrypto]: refused with ERR_ENCRYPTION_UNSUPPORTED before anything is
 * built (even before an unset `$VAR` in the config would be reported); with allowPlaintext the
 * client is made and exactly one warning says the records go unencrypted. No connection is made
 * by kafkaFromConfig, so no broker is needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { kafkaFromConfig } from '../../lib/kafka/kafka-from-config.js';
import { errorCodeOf } from '../../lib/errors.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const encrypted = join(root, 'fixtures', 'openmsistream-configs', 'local_broker_test_encrypted.config');
const plain = join(root, 'fixtures', 'openmsistream-configs', 'local_broker_test.config');
const BOOTSTRAP_ENV = 'LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS';

function captureLogger(): { logger: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      callback();
    },
  });
  return { logger: pino({ level: 'trace' }, sink), lines };
}

function withBootstrapEnv(t: { after: (fn: () => void) => void }, value: string | undefined): void {
  const previous = process.env[BOOTSTRAP_ENV];
  if (value === undefined) delete process.env[BOOTSTRAP_ENV];
  else process.env[BOOTSTRAP_ENV] = value;
  t.after(() => {
    if (previous === undefined) delete process.env[BOOTSTRAP_ENV];
    else process.env[BOOTSTRAP_ENV] = previous;
  });
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a [kafkacrypto] config is refused for both roles, before its unset $VAR is reported', async (t) => {
  withBootstrapEnv(t, undefined);
  for (const role of ['producer', 'consumer'] as const) {
    const { logger, lines } = captureLogger();
    assert.throws(() => kafkaFromConfig(encrypted, role, logger), (err: unknown) => {
      assert.equal(errorCodeOf(err), 'ERR_ENCRYPTION_UNSUPPORTED', String(err));
      assert.match((err as Error).message, /--allow_plaintext/);
      return true;
    });
    assert.throws(() => kafkaFromConfig(encrypted, role, logger, { allowPlaintext: false }), (err: unknown) => errorCodeOf(err) === 'ERR_ENCRYPTION_UNSUPPORTED');
    await flush();
    assert.deepEqual(lines, [], 'nothing is logged for a refused config: the error says it all');
  }
  // With plaintext allowed, the next problem of this config is the one reported.
  assert.throws(() => kafkaFromConfig(encrypted, 'producer', captureLogger().logger, { allowPlaintext: true }), (err: unknown) => errorCodeOf(err) === 'ERR_CONFIG_ENV_UNSET');
});

test('allowPlaintext: the client is made, and one warning says the records go unencrypted', async (t) => {
  withBootstrapEnv(t, '127.0.0.1:9092');
  for (const role of ['producer', 'consumer'] as const) {
    const { logger, lines } = captureLogger();
    const setup = kafkaFromConfig(encrypted, role, logger, { allowPlaintext: true });
    assert.equal(typeof setup.kafka.producer, 'function');
    assert.equal(setup.config.path, encrypted);
    await flush();
    const warnings = lines.filter((l) => l.level === 40);
    const unencrypted = warnings.filter((l) => /unencrypted/.test(l.msg));
    assert.equal(unencrypted.length, 1, JSON.stringify(warnings));
    assert.match(unencrypted[0]!.msg, /KafkaCrypto encryption is not supported/);
  }
});

test('a config without [kafkacrypto] needs no option and logs nothing about encryption', async (t) => {
  withBootstrapEnv(t, '127.0.0.1:9092');
  const { logger, lines } = captureLogger();
  kafkaFromConfig(plain, 'producer', logger);
  kafkaFromConfig(plain, 'consumer', logger, { allowPlaintext: true });
  await flush();
  assert.deepEqual(lines.filter((l) => /crypt/i.test(l.msg)), []);
});
