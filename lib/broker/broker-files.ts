/**
 * broker-files: the text files the local development broker is made of, as pure functions of
 * their settings, so they can be read and tested without Java or Maven.
 *
 * - `renderPom`: a throwaway Maven project whose only job is to name the broker's jars
 *   (`org.apache.kafka:kafka_2.13` plus the log4j2 binding for Kafka's slf4j 1.7 API), so
 *   `mvn dependency:copy-dependencies` can fetch them with their runtime dependencies.
 * - `renderServerProperties`: one KRaft node that is broker and controller at once, on loopback
 *   only, tuned for tests: no initial rebalance delay, replication factor 1 everywhere, topics
 *   created on first use with 3 partitions, records up to 16 MiB.
 * - `renderLog4j2Properties`: broker log lines to stdout (which the launcher points at a file),
 *   INFO for Kafka, WARN for the per-partition state chatter.
 * - `newClusterId`: a KRaft cluster id, the 22-character base64url form of 16 random bytes.
 */
import { randomBytes } from 'node:crypto';

export interface ServerPropertiesOptions {
  /** Client listener, 127.0.0.1:port. */
  port: number;
  /** KRaft controller listener, 127.0.0.1:controllerPort. */
  controllerPort: number;
  /** Where topic partitions and the metadata log live. */
  logDir: string;
  nodeId?: number;
  /** Largest record batch the broker accepts (message.max.bytes), default 16 MiB. */
  maxMessageBytes?: number;
  /** Settings that replace or add to the ones below. */
  extra?: Record<string, string | number | boolean>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function renderServerProperties(options: ServerPropertiesOptions): string {
  const nodeId = options.nodeId ?? 1;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const host = '127.0.0.1';
  const settings: Array<[string, string | number | boolean]> = [
    ['process.roles', 'broker,controller'],
    ['node.id', nodeId],
    ['controller.quorum.bootstrap.servers', `${host}:${options.controllerPort}`],
    ['listeners', `PLAINTEXT://${host}:${options.port},CONTROLLER://${host}:${options.controllerPort}`],
    ['advertised.listeners', `PLAINTEXT://${host}:${options.port}`],
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT'],
    ['log.dirs', options.logDir],
    ['num.partitions', 3],
    ['auto.create.topics.enable', true],
    ['delete.topic.enable', true],
    ['default.replication.factor', 1],
    ['min.insync.replicas', 1],
    ['offsets.topic.replication.factor', 1],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['share.coordinator.state.topic.replication.factor', 1],
    ['share.coordinator.state.topic.min.isr', 1],
    // Tests join a group and expect partitions at once, not after the default 3 s.
    ['group.initial.rebalance.delay.ms', 0],
    ['message.max.bytes', maxBytes],
    ['replica.fetch.max.bytes', maxBytes],
    // A development machine has two cores; the defaults (3 network, 8 io) only add contention.
    ['num.network.threads', 2],
    ['num.io.threads', 4],
    ['log.retention.hours', 168],
  ];
  const merged = new Map<string, string | number | boolean>(settings);
  for (const [key, value] of Object.entries(options.extra ?? {})) merged.set(key, value);
  const lines = [...merged].map(([key, value]) => `${key}=${String(value)}`);
  return `# Written by datafile-stream's local broker on every start; edits are overwritten.\n${lines.join('\n')}\n`;
}

export function renderLog4j2Properties(): string {
  return [
    'status = warn',
    'appender.stdout.type = Console',
    'appender.stdout.name = STDOUT',
    'appender.stdout.layout.type = PatternLayout',
    'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.stdout.ref = STDOUT',
    'logger.state.name = state.change.logger',
    'logger.state.level = WARN',
    'logger.config.name = org.apache.kafka.common.config.AbstractConfig',
    'logger.config.level = WARN',
    '',
  ].join('\n');
}

export interface PomOptions {
  kafkaVersion: string;
  log4jVersion: string;
}

export function renderPom(options: PomOptions): string {
  const dependency = (group: string, artifact: string, version: string): string =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- Written by datafile-stream: lists the jars of its local Kafka broker for mvn dependency:copy-dependencies. -->',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>local.datafile-stream</groupId>',
    '  <artifactId>kafka-broker-jars</artifactId>',
    `  <version>${options.kafkaVersion}</version>`,
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dependency('org.apache.kafka', 'kafka_2.13', options.kafkaVersion),
    // Kafka 4 logs through slf4j 1.7 and ships log4j2; this is the binding between the two.
    dependency('org.apache.logging.log4j', 'log4j-slf4j-impl', options.log4jVersion),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

export function newClusterId(): string {
  // Kafka's own random ids never start with '-', which would read as a command-line flag.
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
