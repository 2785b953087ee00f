/**
 * The secured broker's files as pure functions: server settings (the client listener replaced by
 * SASL_SSL, controller plaintext on loopback, both mechanisms), the SCRAM format arguments, the
 * client config (OpenMSIStream keys, secrets as $VARS) and the option check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderServerProperties } from '../../lib/broker/broker-files.js';
import {
  checkBrokerSecurity,
  renderClientConfig,
  renderClientEnv,
  scramFormatArguments,
  securedServerProperties,
  type BrokerUsers,
} from '../../lib/broker/broker-security.js';

const USERS: BrokerUsers = { admin: { username: 'broker-admin', password: 'a1' }, client: { username: 'datafile-stream', password: 'c2' } };
const CERTS = { caFile: '/d/tls/ca.pem', keystoreFile: '/d/tls/broker.p12', keystorePassword: 'k3' };

test('securedServerProperties: only a SASL_SSL client listener, plaintext controller on loopback, PLAIN and SCRAM-SHA-512', () => {
  const text = renderServerProperties({ port: 9094, controllerPort: 9095, logDir: '/d/logs', extra: securedServerProperties(9094, 9095, USERS, CERTS) });
  assert.match(text, /^listeners=SASL_SSL:\/\/127\.0\.0\.1:9094,CONTROLLER:\/\/127\.0\.0\.1:9095$/m);
  assert.match(text, /^advertised\.listeners=SASL_SSL:\/\/127\.0\.0\.1:9094$/m);
  assert.match(text, /^listener\.security\.protocol\.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT$/m);
  assert.doesNotMatch(text, /PLAINTEXT:\/\//);
  assert.match(text, /^sasl\.enabled\.mechanisms=SCRAM-SHA-512,PLAIN$/m);
  assert.match(text, /PlainLoginModule required username="broker-admin" password="a1" user_broker-admin="a1" user_datafile-stream="c2";$/m);
  assert.match(text, /^ssl\.truststore\.location=\/d\/tls\/ca\.pem$/m);
});

test('scramFormatArguments: one --add-scram per user, for kafka-storage format', () => {
  assert.deepEqual(scramFormatArguments(USERS), [
    '--add-scram',
    'SCRAM-SHA-512=[name=broker-admin,password=a1]',
    '--add-scram',
    'SCRAM-SHA-512=[name=datafile-stream,password=c2]',
  ]);
});

test('renderClientConfig: OpenMSIStream keys, the secrets as $VARS, the CA; renderClientEnv sets the VARS', () => {
  const text = renderClientConfig(9094, '/d/tls/ca.pem', 'PLAIN');
  assert.match(text, /\[broker\]\nbootstrap\.servers = 127\.0\.0\.1:9094\nsecurity\.protocol = SASL_SSL\nsasl\.mechanism\s+= PLAIN\n/);
  assert.match(text, /sasl\.username\s+= \$KAFKA_SASL_USERNAME\nsasl\.password\s+= \$KAFKA_SASL_PASSWORD\nssl\.ca\.location\s+= \/d\/tls\/ca\.pem\n/);
  assert.equal(text.includes('c2'), false);
  assert.equal(renderClientEnv(USERS.client), 'KAFKA_SASL_USERNAME=datafile-stream\nKAFKA_SASL_PASSWORD=c2\n');
});

test('checkBrokerSecurity: plaintext or sasl_ssl, any case; anything else is ERR_INVALID_OPTION naming the option', () => {
  assert.equal(checkBrokerSecurity('SASL_SSL'), 'sasl_ssl');
  assert.equal(checkBrokerSecurity('plaintext'), 'plaintext');
  assert.throws(() => checkBrokerSecurity('ssl'), { code: 'ERR_INVALID_OPTION', option: 'security' });
});
