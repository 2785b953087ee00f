import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newClusterId, renderLog4j2Properties, renderPom, renderServerProperties } from '../../lib/broker/broker-files.js';

function parseProperties(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    assert.ok(at > 0, `not key=value: ${line}`);
    assert.ok(!map.has(line.slice(0, at)), `duplicate key ${line.slice(0, at)}`);
    map.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return map;
}

test('server.properties: one combined KRaft node on loopback with test-friendly settings', () => {
  const props = parseProperties(renderServerProperties({ port: 19092, controllerPort: 19093, logDir: '/tmp/x/kafka-logs' }));
  assert.equal(props.get('process.roles'), 'broker,controller');
  assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
  assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:19092');
  assert.equal(props.get('controller.quorum.bootstrap.servers'), '127.0.0.1:19093');
  assert.equal(props.get('log.dirs'), '/tmp/x/kafka-logs');
  assert.equal(props.get('group.initial.rebalance.delay.ms'), '0');
  assert.equal(props.get('auto.create.topics.enable'), 'true');
  assert.equal(props.get('num.partitions'), '3');
  for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'transaction.state.log.min.isr', 'min.insync.replicas']) {
    assert.equal(props.get(key), '1', key);
  }
  assert.ok(Number(props.get('message.max.bytes')) >= 10 * 1024 * 1024);
  for (const [key, value] of props) assert.doesNotMatch(value, /0\.0\.0\.0|localhost/, `${key} listens beyond 127.0.0.1`);
});

test('pom names kafka_2.13 and the slf4j binding at the given versions', () => {
  const pom = renderPom({ kafkaVersion: '9.8.7', log4jVersion: '2.99.1' });
  assert.match(pom, /<artifactId>kafka_2\.13<\/artifactId><version>9\.8\.7<\/version>/);
  assert.match(pom, /<artifactId>log4j-slf4j-impl<\/artifactId><version>2\.99\.1<\/version>/);
  assert.match(pom, /<packaging>pom<\/packaging>/);
});

test('log4j2 config logs to stdout, which the launcher points at broker.log', () => {
  const props = parseProperties(renderLog4j2Properties());
  assert.equal(props.get('appender.stdout.type'), 'Console');
  assert.equal(props.get('rootLogger.appenderRef.stdout.ref'), 'STDOUT');
});

test('cluster ids are 22 base64url characters and never start with "-"', () => {
  const ids = new Set(Array.from({ length: 500 }, () => newClusterId()));
  assert.equal(ids.size, 500);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
});

test('extra server properties replace defaults and add new keys', () => {
  const text = renderServerProperties({ port: 9092, controllerPort: 9093, logDir: '/tmp/x', extra: { 'auto.create.topics.enable': false, 'log.segment.bytes': 1048576 } });
  assert.match(text, /^auto\.create\.topics\.enable=false$/m);
  assert.doesNotMatch(text, /^auto\.create\.topics\.enable=true$/m);
  assert.match(text, /^log\.segment\.bytes=1048576$/m);
});
