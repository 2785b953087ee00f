/**
 * kafka-options: librdkafka-named settings from an OpenMSIStream config -> plain kafkajs-shaped
 * option objects (SPEC §6). Pure apart from reading the CA/cert/key files that `ssl.*.location`
 * names; constructs no client.
 *
 * In: the `sections` of a parsed config (config-file.ts). Out, one function per consumer of
 * settings: `kafkaClientOptions` ([broker]: brokers, clientId, ssl, sasl — what `createKafka()`
 * takes), `producerOptions` ([producer]), `consumerOptions` ([consumer]), `s3Options` ([s3]),
 * `clientSectionOptions` ([client]: this toolkit's own client choices, e.g. `engine`).
 * Each returns `warnings: string[]`, every one starting with the `section.key` it is about:
 * unknown keys, keys another role owns, settings the toolkit accepts but does not use. Nothing
 * is dropped silently.
 *
 * Sections share keys the way OpenMSIStream merges them (`{**broker, **producer}`): a producer
 * or consumer key written in [broker] applies to that role, and connection keys written in
 * [producer]/[consumer] apply when `kafkaClientOptions(sections, role)` is given that role.
 * The role section wins over [broker].
 *
 * Errors (ConfigError, ERR_CONFIG_VALUE, naming `section.key` in message and `option`): a
 * missing [broker] or bootstrap.servers, a non-numeric number, an unknown enum value
 * (compression, mechanism, protocol, offset reset, serializer), SASL without credentials, an
 * unreadable CA file.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaConfig } from 'kafkajs';
import { ConfigError } from '../errors.js';
import type { ConfigSections } from './config-file.js';
import { CLIENT_SECTION, KAFKA_ENGINES, type KafkaEngine } from './kafka-engine-option.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
/** OpenMSIStream's (de)serializer class names (KafkaConfigFileParser.SERIALIZERS / DESERIALIZERS). */
const SERIALIZERS = ['StringSerializer', 'IntegerSerializer', 'DoubleSerializer', 'DataFileChunkSerializer'] as const;
const DESERIALIZERS = ['StringDeserializer', 'IntegerDeserializer', 'DoubleDeserializer', 'DataFileChunkDeserializer'] as const;
export type SerializerName = (typeof SERIALIZERS)[number];
export type DeserializerName = (typeof DESERIALIZERS)[number];
export type KafkaRole = 'producer' | 'consumer';

/** A union per mechanism, as kafkajs declares it, so the object is assignable to kafkajs's. */
export type SaslOptions = { [M in SaslMechanism]: { mechanism: M; username: string; password: string } }[SaslMechanism];

/** Passed to `tls.connect` by kafkajs. */
export interface SslOptions {
  /** PEM text of the trusted CAs; replaces Node's default roots, as ssl.ca.location does. */
  ca?: string[];
  cert?: string;
  key?: string;
  passphrase?: string;
  rejectUnauthorized?: boolean;
  checkServerIdentity?: () => undefined;
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId?: string;
  ssl: boolean | SslOptions;
  sasl?: SaslOptions;
  securityProtocol: SecurityProtocol;
  connectionTimeout?: number;
  warnings: string[];
}

export interface ProducerOptions {
  /** Map to kafkajs CompressionTypes; lz4/snappy/zstd need a codec registered. Default lz4. */
  compression: CompressionName;
  /** batch.size: bytes of records to gather before a send. */
  batchSizeBytes?: number;
  batchNumMessages?: number;
  lingerMs?: number;
  maxMessageBytes?: number;
  retries?: number;
  acks?: -1 | 0 | 1;
  idempotent?: boolean;
  keySerializer?: SerializerName;
  valueSerializer?: SerializerName;
  warnings: string[];
}

export interface ConsumerOptions {
  /** undefined when group.id is absent or is `create_new`. */
  groupId?: string;
  /** group.id = create_new (any case): a fresh group each run, as OpenMSIStream does. */
  createNewGroupId: boolean;
  /** auto.offset.reset earliest -> true, latest -> false, absent or `none` -> undefined. */
  fromBeginning?: boolean;
  /** As written; the toolkit always commits offsets itself. */
  enableAutoCommit?: boolean;
  minBytes?: number;
  maxBytes?: number;
  maxBytesPerPartition?: number;
  maxWaitTimeInMs?: number;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  /** max.poll.interval.ms: sent as the JoinGroup rebalance timeout, as the Java client does. */
  rebalanceTimeout?: number;
  readUncommitted?: boolean;
  keyDeserializer?: DeserializerName;
  valueDeserializer?: DeserializerName;
  warnings: string[];
}

export interface S3Options {
  accessKeyId: string;
  secretAccessKey: string;
  /** `https://` is prepended when the configured value has no scheme (OpenMSIStream's rule). */
  endpoint: string;
  region: string;
  warnings: string[];
}

export const CREATE_NEW_GROUP_ID = 'create_new';

// Compile-time check that the client options drop straight into kafkajs.
type Assignable<T extends U, U> = T;
export type KafkaJsClientFields = Assignable<
  Pick<KafkaClientOptions, 'brokers' | 'clientId' | 'ssl' | 'sasl' | 'connectionTimeout'>,
  Pick<KafkaConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl' | 'connectionTimeout'>
>;

/** librdkafka aliases -> the canonical name used below. */
const ALIASES: Record<string, string> = {
  'metadata.broker.list': 'bootstrap.servers',
  'sasl.mechanisms': 'sasl.mechanism',
  'compression.codec': 'compression.type',
  'queue.buffering.max.ms': 'linger.ms',
  'message.send.max.retries': 'retries',
  'request.required.acks': 'acks',
};

const INT32_MAX = 2147483647;

/** Sections the toolkit reads, and what it says about OpenMSIStream sections it does not. */
const SECTION_NOTES: Record<string, string | null> = {
  broker: null,
  producer: null,
  consumer: null,
  s3: null,
  client: null,
  kafkacrypto: 'KafkaCrypto encryption is not supported: records are produced and consumed unencrypted',
  // Read by lib/telemetry (heartbeat and log topics), not by the Kafka client options.
  heartbeat: null,
  log: null,
};

/** `table[key]` for own keys only, so `constructor` or `__proto__` in a config is just unknown. */
function lookup<V>(table: Record<string, V>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** One setting, remembering the section it came from so errors name the right `section.key`. */
interface Setting {
  section: string;
  key: string;
  value: string;
}

function where(s: Setting): string {
  return `${s.section}.${s.key}`;
}

function valueError(s: Setting, message: string, cause?: unknown): ConfigError {
  return new ConfigError('ERR_CONFIG_VALUE', `${where(s)}: ${message}`, { option: where(s), section: s.section, key: s.key }, cause);
}

/**
 * Settings of `names` merged left to right (later sections win), canonical key names.
 * `node_id` is skipped in broker/producer/consumer sections, as OpenMSIStream does.
 */
function collect(sections: ConfigSections, names: readonly string[]): Map<string, Setting> {
  const out = new Map<string, Setting>();
  for (const section of names) {
    const seenHere = new Map<string, string>();
    for (const [written, value] of Object.entries(sections[section] ?? {})) {
      if (written === 'node_id') continue;
      const key = lookup(ALIASES, written) ?? written;
      const previous = seenHere.get(key);
      if (previous !== undefined) {
        throw valueError({ section, key: written, value }, `sets ${key} again (already set as ${section}.${previous})`);
      }
      seenHere.set(key, written);
      out.set(key, { section, key: written, value });
    }
  }
  return out;
}

function integer(s: Setting, min = 0, max = INT32_MAX): number {
  const n = /^[+-]?\d+$/.test(s.value) ? Number(s.value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw valueError(s, `expected an integer from ${min} to ${max}, got ${JSON.stringify(s.value)}`);
  }
  return n;
}

function nonNegativeNumber(s: Setting): number {
  const n = /^\d+(\.\d+)?$/.test(s.value) ? Number(s.value) : NaN;
  if (!Number.isFinite(n)) throw valueError(s, `expected a non-negative number, got ${JSON.stringify(s.value)}`);
  return n;
}

/** librdkafka's booleans (case-insensitive): true/t/1, false/f/0. Python configs write `False`. */
function bool(s: Setting): boolean {
  const v = s.value.toLowerCase();
  if (v === 'true' || v === 't' || v === '1') return true;
  if (v === 'false' || v === 'f' || v === '0') return false;
  throw valueError(s, `expected true or false, got ${JSON.stringify(s.value)}`);
}

function oneOf<T extends string>(s: Setting, allowed: readonly T[], normalise: (v: string) => string = (v) => v.toLowerCase()): T {
  const v = normalise(s.value);
  if (!(allowed as readonly string[]).includes(v)) {
    throw valueError(s, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(s.value)}`);
  }
  return v as T;
}

/** Class names are matched exactly, as OpenMSIStream compares them to `__name__`. */
const exact = (v: string): string => v;

function nonEmpty(s: Setting): string {
  if (s.value === '') throw valueError(s, 'must not be empty');
  return s.value;
}

function readPemFile(s: Setting): string {
  try {
    const text = readFileSync(s.value, 'utf8');
    if (!text.includes('-----BEGIN ')) throw new Error('no PEM block ("-----BEGIN ...") in the file');
    return text;
  } catch (err) {
    throw valueError(s, `cannot use ${s.value}: ${(err as Error).message}`, err);
  }
}

/** ssl.ca.location: a PEM file, or (like OpenSSL's CApath) a directory of PEM certificates. */
function readCaLocation(s: Setting): string[] {
  let pems: string[];
  try {
    if (!statSync(s.value).isDirectory()) return [readPemFile(s)];
    pems = readdirSync(s.value, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(join(s.value, entry.name), 'utf8'))
      .filter((text) => text.includes('-----BEGIN CERTIFICATE-----'))
      .sort();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw valueError(s, `cannot use ${s.value}: ${(err as Error).message}`, err);
  }
  if (pems.length === 0) throw valueError(s, `directory ${s.value} holds no PEM certificates`);
  return pems;
}

/** `host:port` for kafkajs from one librdkafka broker (`[proto://]host[:port]`, default 9092). */
function brokerAddress(s: Setting, entry: string): string {
  const address = entry.replace(/^[A-Za-z_]+:\/\//, '');
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+)(?::(\d+))?$/.exec(address);
  const port = match?.[2] === undefined ? 9092 : Number(match[2]);
  if (!match || port < 1 || port > 65535) throw valueError(s, `bad broker address ${JSON.stringify(entry)} (expected host:port)`);
  return `${match[1]}:${port}`;
}

/** How one librdkafka key sets a field of `T`; the tables' keys are the keys each role owns. */
type Apply<T> = (s: Setting, into: T) => void;

const TLS_FIELDS: Record<string, Apply<SslOptions>> = {
  // `probe` asks librdkafka to find the system CAs; Node's default roots play that part.
  'ssl.ca.location': (s, t) => {
    if (s.value !== 'probe') t.ca = [...(t.ca ?? []), ...readCaLocation(s)];
  },
  'ssl.ca.pem': (s, t) => void (t.ca = [...(t.ca ?? []), nonEmpty(s)]),
  'ssl.certificate.location': (s, t) => void (t.cert = readPemFile(s)),
  'ssl.certificate.pem': (s, t) => void (t.cert = nonEmpty(s)),
  'ssl.key.location': (s, t) => void (t.key = readPemFile(s)),
  'ssl.key.pem': (s, t) => void (t.key = nonEmpty(s)),
  'ssl.key.password': (s, t) => void (t.passphrase = s.value),
  'enable.ssl.certificate.verification': (s, t) => {
    if (!bool(s)) t.rejectUnauthorized = false;
  },
  'ssl.endpoint.identification.algorithm': (s, t) => {
    if (oneOf(s, ['https', 'none'] as const) === 'none') t.checkServerIdentity = () => undefined;
  },
};
const SASL_KEYS = ['sasl.mechanism', 'sasl.username', 'sasl.password'];
const CLIENT_KEYS = new Set(['bootstrap.servers', 'client.id', 'security.protocol', 'socket.connection.setup.timeout.ms', ...SASL_KEYS, ...Object.keys(TLS_FIELDS)]);

const PRODUCER_FIELDS: Record<string, Apply<ProducerOptions>> = {
  'compression.type': (s, o) => void (o.compression = oneOf(s, ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)),
  'batch.size': (s, o) => void (o.batchSizeBytes = integer(s, 1)),
  'batch.num.messages': (s, o) => void (o.batchNumMessages = integer(s, 1)),
  'linger.ms': (s, o) => void (o.lingerMs = nonNegativeNumber(s)),
  'message.max.bytes': (s, o) => void (o.maxMessageBytes = integer(s, 1)),
  retries: (s, o) => void (o.retries = integer(s, 0)),
  acks: (s, o) => void (o.acks = (s.value.toLowerCase() === 'all' ? -1 : integer(s, -1, 1)) as -1 | 0 | 1),
  'enable.idempotence': (s, o) => void (o.idempotent = bool(s)),
  // OpenMSIStream swaps these names for classes; the toolkit's codec is fixed, so they are noted.
  'key.serializer': (s, o) => void (o.keySerializer = oneOf(s, SERIALIZERS, exact)),
  'value.serializer': (s, o) => void (o.valueSerializer = oneOf(s, SERIALIZERS, exact)),
};

const CONSUMER_FIELDS: Record<string, Apply<ConsumerOptions>> = {
  'group.id': (s, o) => {
    if (nonEmpty(s).toLowerCase() === CREATE_NEW_GROUP_ID) o.createNewGroupId = true;
    else o.groupId = s.value;
  },
  'auto.offset.reset': (s, o) => {
    const reset = oneOf(s, ['earliest', 'smallest', 'beginning', 'latest', 'largest', 'end', 'none'] as const);
    // OpenMSIStream drops `none` before librdkafka sees it: the default stays in force.
    if (reset !== 'none') o.fromBeginning = reset === 'earliest' || reset === 'smallest' || reset === 'beginning';
  },
  'enable.auto.commit': (s, o) => {
    o.enableAutoCommit = bool(s);
    if (o.enableAutoCommit) o.warnings.push(`${where(s)}: ignored; offsets are committed only after each file is finished (SPEC §4)`);
  },
  'fetch.min.bytes': (s, o) => void (o.minBytes = integer(s, 1)),
  'fetch.max.bytes': (s, o) => void (o.maxBytes = integer(s, 0)),
  'max.partition.fetch.bytes': (s, o) => void (o.maxBytesPerPartition = integer(s, 1)),
  'fetch.wait.max.ms': (s, o) => void (o.maxWaitTimeInMs = integer(s, 0)),
  'session.timeout.ms': (s, o) => void (o.sessionTimeout = integer(s, 1)),
  'heartbeat.interval.ms': (s, o) => void (o.heartbeatInterval = integer(s, 1)),
  'max.poll.interval.ms': (s, o) => void (o.rebalanceTimeout = integer(s, 1)),
  'isolation.level': (s, o) => void (o.readUncommitted = oneOf(s, ['read_committed', 'read_uncommitted'] as const) === 'read_uncommitted'),
  'key.deserializer': (s, o) => void (o.keyDeserializer = oneOf(s, DESERIALIZERS, exact)),
  'value.deserializer': (s, o) => void (o.valueDeserializer = oneOf(s, DESERIALIZERS, exact)),
};

const ROLE_FIELDS = { producer: PRODUCER_FIELDS, consumer: CONSUMER_FIELDS } as const;

function sectionWarnings(sections: ConfigSections): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(sections)) {
    const note = lookup(SECTION_NOTES, name);
    if (note === undefined) warnings.push(`${name}: unknown section, ignored`);
    else if (note !== null) warnings.push(`${name}: ${note}`);
  }
  return warnings;
}

function missing(key: string, why: string): ConfigError {
  return valueError({ section: 'broker', key, value: '' }, why);
}

/**
 * Connection options from [broker] (and, given a role, that role's section), plus warnings for
 * unknown sections and keys. Throws ERR_CONFIG_VALUE naming section.key.
 */
export function kafkaClientOptions(sections: ConfigSections, role?: KafkaRole): KafkaClientOptions {
  if (!sections.broker) {
    throw new ConfigError('ERR_CONFIG_VALUE', 'broker: the config has no [broker] section', { option: 'broker', section: 'broker' });
  }
  const warnings = sectionWarnings(sections);
  const settings = connectionSettings(sections, role, warnings);
  const servers = settings.get('bootstrap.servers');
  if (!servers) throw missing('bootstrap.servers', 'required');
  const entries = servers.value.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) throw valueError(servers, 'lists no brokers');

  const protocolSetting = settings.get('security.protocol');
  const securityProtocol: SecurityProtocol = protocolSetting
    ? oneOf(protocolSetting, ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const, (v) => v.toUpperCase())
    : 'PLAINTEXT';
  const options: KafkaClientOptions = { brokers: entries.map((e) => brokerAddress(servers, e)), ssl: false, securityProtocol, warnings };
  const clientId = settings.get('client.id');
  if (clientId) options.clientId = nonEmpty(clientId);
  const setupTimeout = settings.get('socket.connection.setup.timeout.ms');
  if (setupTimeout) options.connectionTimeout = integer(setupTimeout, 1);

  // librdkafka silently ignores SASL and TLS keys the protocol does not use; we say so.
  const unused = (s: Setting): void => {
    warnings.push(`${where(s)}: ignored, security.protocol is ${securityProtocol}${protocolSetting ? '' : ' (the default)'}`);
  };
  const sasl = saslOptions(settings, securityProtocol, unused);
  if (sasl) options.sasl = sasl;
  const tls: SslOptions = {};
  for (const [key, s] of settings) {
    const apply = lookup(TLS_FIELDS, key);
    if (!apply) continue;
    if (securityProtocol.endsWith('SSL')) apply(s, tls);
    else unused(s);
  }
  if (securityProtocol.endsWith('SSL')) options.ssl = Object.keys(tls).length > 0 ? tls : true;
  return options;
}

/**
 * The connection keys of [broker] (and the role's section), canonical names. Producer and
 * consumer keys are left to the role functions; a key nobody owns, and (without a role) a
 * connection key written in a role's section, is a warning.
 */
function connectionSettings(sections: ConfigSections, role: KafkaRole | undefined, warnings: string[]): Map<string, Setting> {
  const settings = collect(sections, role ? ['broker', role] : ['broker']);
  for (const [key, s] of settings) {
    if (CLIENT_KEYS.has(key)) continue;
    if (s.section === 'broker' && !lookup(PRODUCER_FIELDS, key) && !lookup(CONSUMER_FIELDS, key)) warnings.push(`${where(s)}: unknown key, ignored`);
    settings.delete(key); // producer/consumer keys in [broker] are read by the role functions
  }
  if (!role) {
    for (const other of ['producer', 'consumer'] as const) {
      for (const written of Object.keys(sections[other] ?? {})) {
        if (CLIENT_KEYS.has(lookup(ALIASES, written) ?? written)) {
          warnings.push(`${other}.${written}: connection setting not applied; call kafkaClientOptions(sections, '${other}')`);
        }
      }
    }
  }
  return settings;
}

/** SASL credentials, required with a SASL_ protocol; with any other protocol they are reported `unused`. */
function saslOptions(settings: Map<string, Setting>, securityProtocol: SecurityProtocol, unused: (s: Setting) => void): SaslOptions | undefined {
  const [mechanism, username, password] = SASL_KEYS.map((key) => settings.get(key));
  if (!securityProtocol.startsWith('SASL_')) {
    for (const s of [mechanism, username, password]) if (s) unused(s);
    return undefined;
  }
  const needs = `required with security.protocol = ${securityProtocol}`;
  if (!mechanism) throw missing('sasl.mechanism', `${needs} (librdkafka's default GSSAPI is not supported)`);
  if (!username) throw missing('sasl.username', needs);
  if (!password) throw missing('sasl.password', needs);
  return {
    mechanism: oneOf(mechanism, ['plain', 'scram-sha-256', 'scram-sha-512'] as const),
    username: nonEmpty(username),
    password: password.value,
  };
}

/** Apply a role's table to its section over [broker]; warn about keys it does not own. */
function roleOptions<T extends { warnings: string[] }>(sections: ConfigSections, role: KafkaRole, fields: Record<string, Apply<T>>, into: T): T {
  const other: KafkaRole = role === 'producer' ? 'consumer' : 'producer';
  for (const [key, s] of collect(sections, ['broker', role])) {
    const apply = lookup(fields, key);
    if (apply) apply(s, into);
    // [broker] keys are kafkaClientOptions' to warn about; connection keys are applied there.
    else if (s.section === role && !CLIENT_KEYS.has(key)) {
      into.warnings.push(lookup<unknown>(ROLE_FIELDS[other], key) ? `${where(s)}: a ${other} setting, ignored by the ${role}` : `${where(s)}: unknown key, ignored`);
    }
  }
  return into;
}

/** Producer settings from [producer] (and producer keys in [broker]); compression defaults to lz4. */
export function producerOptions(sections: ConfigSections): ProducerOptions {
  return roleOptions(sections, 'producer', PRODUCER_FIELDS, { compression: 'lz4', warnings: [] });
}

/** Consumer settings from [consumer] (and consumer keys in [broker]). */
export function consumerOptions(sections: ConfigSections): ConsumerOptions {
  return roleOptions(sections, 'consumer', CONSUMER_FIELDS, { createNewGroupId: false, warnings: [] });
}

/**
 * The consumer group, chosen as OpenMSIStream chooses it: the one given (`--consumer_group_id`)
 * wins; else the config's `group.id` ([consumer], or [broker]); else `create_new`, a fresh group
 * each run. A config's `group.id = create_new` says the same as leaving it out.
 */
export function consumerGroupId(sections: ConfigSections, given?: string): string {
  if (given !== undefined && given !== '') return given;
  return consumerOptions(sections).groupId ?? CREATE_NEW_GROUP_ID;
}

export interface ClientSectionOptions {
  /** [client] engine: the Kafka client library (kafka-engine-option.ts); undefined when absent. */
  engine?: KafkaEngine;
  warnings: string[];
}

/**
 * [client]: settings of this toolkit, not librdkafka's, so they live outside [broker] where
 * OpenMSIStream would hand them to librdkafka. Unknown keys are warnings.
 */
export function clientSectionOptions(sections: ConfigSections): ClientSectionOptions {
  const out: ClientSectionOptions = { warnings: [] };
  for (const [key, value] of Object.entries(sections[CLIENT_SECTION] ?? {})) {
    const s: Setting = { section: CLIENT_SECTION, key, value };
    if (key === 'engine') out.engine = oneOf(s, KAFKA_ENGINES);
    else out.warnings.push(`${where(s)}: unknown key, ignored`);
  }
  return out;
}

/** S3 settings from [s3]: all four keys are required, as OpenMSIStream's S3Service needs them. */
export function s3Options(sections: ConfigSections): S3Options {
  const section = sections.s3;
  if (!section) throw new ConfigError('ERR_CONFIG_VALUE', 's3: the config has no [s3] section', { option: 's3', section: 's3' });
  const known = ['access_key_id', 'secret_key_id', 'endpoint_url', 'region'];
  const warnings = Object.keys(section)
    .filter((key) => !known.includes(key))
    .map((key) => `s3.${key}: unknown key, ignored`);
  const required = (key: string): string => {
    const value = section[key];
    if (value === undefined) throw valueError({ section: 's3', key, value: '' }, 'required');
    return nonEmpty({ section: 's3', key, value });
  };
  const endpoint = required('endpoint_url');
  return {
    accessKeyId: required('access_key_id'),
    secretAccessKey: required('secret_key_id'),
    endpoint: /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`,
    region: required('region'),
    warnings,
  };
}
