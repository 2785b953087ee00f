/**
 * kafka-options: librdkafka names from OpenMSIStream configs -> kafkajs-shaped options.
 * Shipped configs map without errors; SASL/SSL map as kafkajs expects; unknown keys come back as
 * `section.key` warnings; bad values are ERR_CONFIG_VALUE naming `section.key`.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseConfigText, readConfigFile, type ConfigSections } from '../../lib/config/config-file.js';
import { consumerGroupId, consumerOptions, kafkaClientOptions, producerOptions, s3Options } from '../../lib/config/kafka-options.js';
import { errorCodeOf } from '../../lib/errors.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const fixtures = join(root, 'fixtures', 'config');
const caFile = join(fixtures, 'test-ca.pem');
const shippedDirs = [join(fixtures, 'openmsistream-1.8.8'), join(root, 'fixtures', 'openmsistream-configs')].filter(existsSync);

function envFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/\$\{?(\w+)\}?/g)) env[m[1] as string] = m[1]!.includes('BOOTSTRAP') ? 'broker.example:9092' : `value-of-${m[1]}`;
  return env;
}

function parse(text: string, env: Record<string, string> = {}): ConfigSections {
  return parseConfigText(text, env);
}

/** Asserts ERR_CONFIG_VALUE naming `option` (section.key) in both the message and the context. */
function throwsValue(fn: () => unknown, option: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.equal(errorCodeOf(err), 'ERR_CONFIG_VALUE', `expected ERR_CONFIG_VALUE, got ${String(err)}`);
    const e = err as { option?: string; message: string };
    assert.equal(e.option, option);
    assert.ok(e.message.startsWith(`${option}:`), e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('every shipped OpenMSIStream config maps to client, producer, consumer (and s3) options', () => {
  let count = 0;
  for (const dir of shippedDirs) {
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.config'))) {
      const file = join(dir, name);
      const { sections } = readConfigFile(file, envFor(readFileSync(file, 'utf8')));
      const client = kafkaClientOptions(sections);
      assert.deepEqual(client.brokers, ['broker.example:9092'], name);
      const producer = producerOptions(sections);
      const consumer = consumerOptions(sections);
      assert.equal(producer.compression, 'lz4', name);
      assert.deepEqual(producer.warnings, [], name);
      assert.deepEqual(consumer.warnings, [], name);
      if (sections.s3) assert.equal(s3Options(sections).endpoint, 'https://value-of-ENDPOINT_URL');
      // Only sections the toolkit does not implement are warned about.
      for (const w of client.warnings) assert.match(w, /^(kafkacrypto|heartbeat|log): /, `${name}: ${w}`);
      assert.equal(client.warnings.some((w) => w.startsWith('kafkacrypto:')), 'kafkacrypto' in sections, name);
      count++;
    }
  }
  assert.ok(count >= 23);
});

test('test.config: SASL_SSL + PLAIN, and OpenMSIStream producer/consumer settings', () => {
  const { sections } = readConfigFile(join(fixtures, 'openmsistream-1.8.8', 'test.config'), {
    KAFKA_TEST_CLUSTER_BOOTSTRAP_SERVERS: 'b-1.example:9092, b-2.example:9092',
    KAFKA_TEST_CLUSTER_USERNAME: 'API_KEY',
    KAFKA_TEST_CLUSTER_PASSWORD: 'API_SECRET',
  });
  assert.deepEqual(kafkaClientOptions(sections), {
    brokers: ['b-1.example:9092', 'b-2.example:9092'],
    ssl: true,
    sasl: { mechanism: 'plain', username: 'API_KEY', password: 'API_SECRET' },
    securityProtocol: 'SASL_SSL',
    warnings: [],
  });
  assert.deepEqual(producerOptions(sections), {
    compression: 'lz4',
    batchSizeBytes: 2000000,
    lingerMs: 100,
    keySerializer: 'StringSerializer',
    valueSerializer: 'DataFileChunkSerializer',
    warnings: [],
  });
  assert.deepEqual(consumerOptions(sections), {
    createNewGroupId: true,
    fromBeginning: true,
    enableAutoCommit: false,
    minBytes: 100000,
    keyDeserializer: 'StringDeserializer',
    valueDeserializer: 'DataFileChunkDeserializer',
    warnings: [],
  });
});

test('bundled local config: plaintext 127.0.0.1:9092', () => {
  const { sections } = loadConfig('local', {});
  const client = kafkaClientOptions(sections);
  assert.deepEqual(client.brokers, ['127.0.0.1:9092']);
  assert.equal(client.ssl, false);
  assert.equal(client.sasl, undefined);
  assert.deepEqual(client.warnings, []);
  assert.equal(consumerOptions(sections).createNewGroupId, true);
});

test('SASL_SSL + SCRAM-SHA-512 with a CA file, all from the environment', () => {
  const { sections } = readConfigFile(join(fixtures, 'sasl-scram.config'), {
    DFS_TEST_BOOTSTRAP: 'SASL_SSL://kafka-1.example.org:9094,kafka-2.example.org',
    DFS_TEST_USERNAME: 'alice',
    DFS_TEST_PASSWORD: 'p@ss word',
    DFS_TEST_CA_FILE: caFile,
  });
  const client = kafkaClientOptions(sections);
  assert.deepEqual(client.brokers, ['kafka-1.example.org:9094', 'kafka-2.example.org:9092']);
  assert.equal(client.clientId, 'dfs-tests');
  assert.deepEqual(client.sasl, { mechanism: 'scram-sha-512', username: 'alice', password: 'p@ss word' });
  assert.deepEqual(client.ssl, { ca: [readFileSync(caFile, 'utf8')] });
  assert.deepEqual(client.warnings, []);
  assert.equal(producerOptions(sections).compression, 'zstd');
  const consumer = consumerOptions(sections);
  assert.equal(consumer.groupId, 'dfs-fixed-group');
  assert.equal(consumer.createNewGroupId, false);
  assert.equal(consumer.fromBeginning, false);
});

test('each security.protocol and SASL mechanism maps to kafkajs ssl/sasl', () => {
  const base = '[broker]\nbootstrap.servers = h:9092\nsasl.username = u\nsasl.password = p\n';
  const cases: Array<[string, string, boolean, string]> = [
    ['SASL_SSL', 'PLAIN', true, 'plain'],
    ['SASL_SSL', 'SCRAM-SHA-256', true, 'scram-sha-256'],
    ['sasl_plaintext', 'scram-sha-512', false, 'scram-sha-512'],
  ];
  for (const [protocol, mechanism, ssl, expected] of cases) {
    const client = kafkaClientOptions(parse(`${base}security.protocol = ${protocol}\nsasl.mechanism = ${mechanism}\n`));
    assert.equal(client.ssl, ssl, protocol);
    assert.deepEqual(client.sasl, { mechanism: expected, username: 'u', password: 'p' });
  }
  // librdkafka's canonical spelling is sasl.mechanisms; both are accepted
  const plural = kafkaClientOptions(parse(`${base}security.protocol = SASL_SSL\nsasl.mechanisms = PLAIN\n`));
  assert.equal(plural.sasl?.mechanism, 'plain');
  const tls = kafkaClientOptions(parse('[broker]\nbootstrap.servers = h:9093\nsecurity.protocol = SSL\n'));
  assert.equal(tls.ssl, true);
  assert.equal(tls.sasl, undefined);
});

test('SSL with ssl.ca.location reads the CA file into ssl.ca; a directory of PEMs works too', (t) => {
  const { sections } = readConfigFile(join(fixtures, 'ssl-ca.config'), { DFS_TEST_CA_FILE: caFile });
  const client = kafkaClientOptions(sections);
  assert.deepEqual(client.brokers, ['kafka.example.org:9093']);
  assert.equal(client.securityProtocol, 'SSL');
  assert.deepEqual(client.ssl, { ca: [readFileSync(caFile, 'utf8')] });

  const dir = mkdtempSync(join(tmpdir(), 'dfs-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'certs'));
  copyFileSync(caFile, join(dir, 'certs', 'a.pem'));
  writeFileSync(join(dir, 'certs', 'notes.txt'), 'not a certificate');
  const fromDir = kafkaClientOptions(parse(`[broker]\nbootstrap.servers = h:1\nsecurity.protocol = SSL\nssl.ca.location = ${join(dir, 'certs')}\n`));
  assert.deepEqual(fromDir.ssl, { ca: [readFileSync(caFile, 'utf8')] });

  const probe = kafkaClientOptions(parse('[broker]\nbootstrap.servers = h:1\nsecurity.protocol = SSL\nssl.ca.location = probe\n'));
  assert.equal(probe.ssl, true);

  const noVerify = kafkaClientOptions(
    parse('[broker]\nbootstrap.servers = h:1\nsecurity.protocol = SSL\nenable.ssl.certificate.verification = false\nssl.endpoint.identification.algorithm = none\n'),
  );
  assert.equal(typeof noVerify.ssl, 'object');
  const ssl = noVerify.ssl as { rejectUnauthorized?: boolean; checkServerIdentity?: () => undefined };
  assert.equal(ssl.rejectUnauthorized, false);
  assert.equal(ssl.checkServerIdentity?.(), undefined);

  throwsValue(
    () => kafkaClientOptions(parse(`[broker]\nbootstrap.servers = h:1\nsecurity.protocol = SSL\nssl.ca.location = ${join(dir, 'missing.pem')}\n`)),
    'broker.ssl.ca.location',
    /missing\.pem/,
  );
  throwsValue(
    () => kafkaClientOptions(parse(`[broker]\nbootstrap.servers = h:1\nsecurity.protocol = SSL\nssl.ca.location = ${join(dir, 'certs', 'notes.txt')}\n`)),
    'broker.ssl.ca.location',
    /no PEM block/,
  );
});

test('unknown keys and sections come back as section.key warnings, never dropped', () => {
  const sections = readConfigFile(join(fixtures, 'unknown-keys.config'), {}).sections;
  const client = kafkaClientOptions(sections);
  assert.deepEqual(client.warnings.sort(), [
    'broker.socket.keepalive.enable: unknown key, ignored',
    'kafkacrypto: KafkaCrypto encryption is not supported: records are produced and consumed unencrypted',
    'mystery: unknown section, ignored',
    "producer.client.id: connection setting not applied; call kafkaClientOptions(sections, 'producer')",
  ]);
  const asProducer = kafkaClientOptions(sections, 'producer');
  assert.equal(asProducer.clientId, 'uploader');
  assert.ok(!asProducer.warnings.some((w) => w.startsWith('producer.client.id')));

  const producer = producerOptions(sections);
  assert.equal(producer.lingerMs, 250, 'a producer key in [broker] applies, as in OpenMSIStream');
  assert.deepEqual(producer.warnings.sort(), [
    'producer.fetch.min.bytes: a consumer setting, ignored by the producer',
    'producer.queue.buffering.max.kbytes: unknown key, ignored',
  ]);
  const consumer = consumerOptions(sections);
  assert.deepEqual(consumer.warnings.sort(), [
    'consumer.compression.type: a producer setting, ignored by the consumer',
    'consumer.partition.assignment.strategy: unknown key, ignored',
  ]);
  const odd = parse('[broker]\nbootstrap.servers = h:1\nconstructor = 1\n[producer]\ntostring = 2\n[constructor]\n');
  assert.deepEqual(kafkaClientOptions(odd).warnings, ['constructor: unknown section, ignored', 'broker.constructor: unknown key, ignored']);
  assert.deepEqual(producerOptions(odd).warnings, ['producer.tostring: unknown key, ignored']);
  const s3 = s3Options(parse('[s3]\naccess_key_id = a\nsecret_key_id = s\nendpoint_url = e\nregion = r\nbucket = b\n'));
  assert.deepEqual(s3.warnings, ['s3.bucket: unknown key, ignored']);
});

test('SASL or TLS settings that librdkafka would ignore are warned about', () => {
  const client = kafkaClientOptions(parse('[broker]\nbootstrap.servers = h:1\nsasl.mechanism = PLAIN\nsasl.username = u\nssl.ca.location = /nowhere\n'));
  assert.equal(client.sasl, undefined);
  assert.equal(client.ssl, false);
  assert.deepEqual(client.warnings, [
    'broker.sasl.mechanism: ignored, security.protocol is PLAINTEXT (the default)',
    'broker.sasl.username: ignored, security.protocol is PLAINTEXT (the default)',
    'broker.ssl.ca.location: ignored, security.protocol is PLAINTEXT (the default)',
  ]);
});

test('enable.auto.commit = true is accepted and warned about; the toolkit commits itself', () => {
  const consumer = consumerOptions(parse('[broker]\nbootstrap.servers = h:1\n[consumer]\nenable.auto.commit = true\n'));
  assert.equal(consumer.enableAutoCommit, true);
  assert.equal(consumer.warnings.length, 1);
  assert.match(consumer.warnings[0] as string, /^consumer\.enable\.auto\.commit: /);
});

test('consumer settings map to kafkajs consumer option names', () => {
  const consumer = consumerOptions(
    parse(
      [
        '[consumer]',
        'group.id = CREATE_NEW',
        'auto.offset.reset = none',
        'fetch.min.bytes = 1',
        'fetch.max.bytes = 52428800',
        'max.partition.fetch.bytes = 1048576',
        'fetch.wait.max.ms = 500',
        'session.timeout.ms = 45000',
        'heartbeat.interval.ms = 3000',
        'max.poll.interval.ms = 300000',
        'isolation.level = read_uncommitted',
      ].join('\n'),
    ),
  );
  assert.deepEqual(consumer, {
    createNewGroupId: true,
    minBytes: 1,
    maxBytes: 52428800,
    maxBytesPerPartition: 1048576,
    maxWaitTimeInMs: 500,
    sessionTimeout: 45000,
    heartbeatInterval: 3000,
    rebalanceTimeout: 300000,
    readUncommitted: true,
    warnings: [],
  });
  assert.equal(consumerOptions(parse('[consumer]\nauto.offset.reset = latest\n')).fromBeginning, false);
  assert.equal(consumerOptions(parse('[consumer]\nauto.offset.reset = smallest\n')).fromBeginning, true);
  assert.equal(consumerOptions(parse('[consumer]\n')).fromBeginning, undefined);
});

test('producer settings: compression default lz4, aliases, acks and retries', () => {
  assert.equal(producerOptions(parse('[broker]\nbootstrap.servers = h:1\n')).compression, 'lz4');
  for (const c of ['none', 'gzip', 'snappy', 'lz4', 'zstd', 'GZIP']) {
    assert.equal(producerOptions(parse(`[producer]\ncompression.type = ${c}\n`)).compression, c.toLowerCase());
  }
  const p = producerOptions(
    parse('[producer]\ncompression.codec = gzip\nrequest.required.acks = all\nmessage.send.max.retries = 5\nmessage.max.bytes = 1000000\nbatch.num.messages = 1000\nenable.idempotence = True\nlinger.ms = 0.5\n'),
  );
  assert.deepEqual(p, {
    compression: 'gzip',
    acks: -1,
    retries: 5,
    maxMessageBytes: 1000000,
    batchNumMessages: 1000,
    idempotent: true,
    lingerMs: 0.5,
    warnings: [],
  });
  assert.equal(producerOptions(parse('[producer]\nacks = 0\n')).acks, 0);
});

test('s3: endpoint gets https:// when it has no scheme; all four keys are required', () => {
  const odd = parse('[broker]\nbootstrap.servers = h:1\nconstructor = 1\n[producer]\ntostring = 2\n[constructor]\n');
  assert.deepEqual(kafkaClientOptions(odd).warnings, ['constructor: unknown section, ignored', 'broker.constructor: unknown key, ignored']);
  assert.deepEqual(producerOptions(odd).warnings, ['producer.tostring: unknown key, ignored']);
  const s3 = s3Options(parse('[s3]\naccess_key_id = $AK\nsecret_key_id = $SK\nendpoint_url = $EP\nregion = $R\n', { AK: 'ak', SK: 'sk', EP: 's3.example.org', R: 'us-east-1' }));
  assert.deepEqual(s3, { accessKeyId: 'ak', secretAccessKey: 'sk', endpoint: 'https://s3.example.org', region: 'us-east-1', warnings: [] });
  const local = s3Options(parse('[s3]\naccess_key_id = a\nsecret_key_id = s\nendpoint_url = http://127.0.0.1:9000\nregion = r\n'));
  assert.equal(local.endpoint, 'http://127.0.0.1:9000');
  throwsValue(() => s3Options(parse('[s3]\naccess_key_id = a\nsecret_key_id = s\nendpoint_url = e\n')), 's3.region', /required/);
  throwsValue(() => s3Options(parse('[broker]\nbootstrap.servers = h:1\n')), 's3');
});

test('bad values are ERR_CONFIG_VALUE naming section.key', () => {
  const broker = '[broker]\nbootstrap.servers = h:9092\n';
  const sasl = `${broker}security.protocol = SASL_SSL\nsasl.username = u\nsasl.password = p\n`;
  throwsValue(() => kafkaClientOptions(parse('[producer]\nbatch.size = 1\n')), 'broker', /no \[broker\]/);
  throwsValue(() => kafkaClientOptions(parse('[broker]\nclient.id = x\n')), 'broker.bootstrap.servers', /required/);
  throwsValue(() => kafkaClientOptions(parse('[broker]\nbootstrap.servers = ,\n')), 'broker.bootstrap.servers');
  throwsValue(() => kafkaClientOptions(parse('[broker]\nbootstrap.servers = h:99999\n')), 'broker.bootstrap.servers', /h:99999/);
  throwsValue(() => kafkaClientOptions(parse(`${broker}security.protocol = TLS\n`)), 'broker.security.protocol', /TLS/);
  throwsValue(() => kafkaClientOptions(parse(`${sasl}sasl.mechanism = GSSAPI\n`)), 'broker.sasl.mechanism', /GSSAPI/);
  throwsValue(() => kafkaClientOptions(parse(`${sasl}sasl.mechanism = OAUTHBEARER\n`)), 'broker.sasl.mechanism');
  throwsValue(() => kafkaClientOptions(parse(sasl)), 'broker.sasl.mechanism', /required/);
  throwsValue(() => kafkaClientOptions(parse(`${broker}security.protocol = SASL_SSL\nsasl.mechanism = PLAIN\nsasl.username = u\n`)), 'broker.sasl.password');
  throwsValue(() => kafkaClientOptions(parse(`${sasl}sasl.mechanism = PLAIN\nsasl.mechanisms = PLAIN\n`)), 'broker.sasl.mechanisms', /again/);
  throwsValue(() => kafkaClientOptions(parse(`${broker}socket.connection.setup.timeout.ms = soon\n`)), 'broker.socket.connection.setup.timeout.ms');

  throwsValue(() => producerOptions(parse('[producer]\nbatch.size = 2MB\n')), 'producer.batch.size', /"2MB"/);
  throwsValue(() => producerOptions(parse('[producer]\nbatch.size = 0\n')), 'producer.batch.size');
  throwsValue(() => producerOptions(parse('[producer]\nlinger.ms = -1\n')), 'producer.linger.ms');
  throwsValue(() => producerOptions(parse('[producer]\ncompression.type = brotli\n')), 'producer.compression.type', /brotli/);
  throwsValue(() => producerOptions(parse('[producer]\nacks = 2\n')), 'producer.acks');
  throwsValue(() => producerOptions(parse('[producer]\nretries = many\n')), 'producer.retries');
  throwsValue(() => producerOptions(parse('[producer]\nvalue.serializer = PickleSerializer\n')), 'producer.value.serializer');
  throwsValue(() => producerOptions(parse('[broker]\nlinger.ms = x\n')), 'broker.linger.ms');

  for (const n of ['1.5', '1e5', '0x10', '']) {
    throwsValue(() => consumerOptions(parse(`[consumer]\nfetch.min.bytes = ${n}\n`)), 'consumer.fetch.min.bytes');
  }
  throwsValue(() => consumerOptions(parse('[consumer]\nsession.timeout.ms = 99999999999\n')), 'consumer.session.timeout.ms');
  throwsValue(() => consumerOptions(parse('[consumer]\nauto.offset.reset = oldest\n')), 'consumer.auto.offset.reset');
  throwsValue(() => consumerOptions(parse('[consumer]\nenable.auto.commit = maybe\n')), 'consumer.enable.auto.commit');
  throwsValue(() => consumerOptions(parse('[consumer]\ngroup.id =\n')), 'consumer.group.id');
  throwsValue(() => consumerOptions(parse('[consumer]\nvalue.deserializer = DataFileChunkSerializer\n')), 'consumer.value.deserializer');
});

test("consumerGroupId: the given name wins, else the config's group.id, else create_new (OpenMSIStream's rule)", () => {
  const withGroup: ConfigSections = { broker: { 'bootstrap.servers': 'k:9092' }, consumer: { 'group.id': 'from-config' } };
  assert.equal(consumerGroupId(withGroup), 'from-config');
  assert.equal(consumerGroupId(withGroup, 'from-flag'), 'from-flag');
  assert.equal(consumerGroupId({ broker: { 'bootstrap.servers': 'k:9092', 'group.id': 'in-broker' } }), 'in-broker');
  assert.equal(consumerGroupId({ broker: { 'bootstrap.servers': 'k:9092' } }), 'create_new');
  assert.equal(consumerGroupId({ broker: { 'bootstrap.servers': 'k:9092' }, consumer: { 'group.id': 'CREATE_NEW' } }), 'create_new');
});
