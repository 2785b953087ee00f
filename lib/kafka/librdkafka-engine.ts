/**
 * librdkafka-engine: the second engine behind `createKafka`: `@confluentinc/kafka-javascript`
 * (Confluent's librdkafka binding with a KafkaJS-compatible API), wrapped so the toolkit keeps
 * talking to kafkajs's `Kafka`, `Consumer`, `Producer` and `Admin` interfaces.
 *
 * In: the options `createKafka` got, the codec/acks a config chose for producers, and a maker of
 * kafkajs admins (for the two admin calls librdkafka's API lacks, librdkafka-admin.ts). Out: a
 * kafkajs-typed `Kafka` whose clients are the adapters in librdkafka-consumer.ts,
 * librdkafka-producer.ts and librdkafka-admin.ts; or undefined when the package is not there.
 *
 * Loading: the package is an optional dependency with a native build that may have failed. It is
 * required only here, only when this engine is chosen, so the main entry never loads it. (A
 * `require`, not `import()`: `createKafka` is synchronous and used so in many places; a
 * CommonJS package loads the same either way.) When it cannot be loaded, the caller runs kafkajs
 * and this module warns once per process, with the reason; when it runs, it says so once at info.
 *
 * Logging: the binding's log lines go to a `{ component: 'librdkafka' }` child: errors and
 * warnings as such, info at debug, debug at trace. Lines that say a broker cannot be reached
 * (librdkafka retries them forever) go to debug and mark the outage once, as for kafkajs.
 */
import { createRequire } from 'node:module';
import type { Admin, Consumer, ConsumerConfig, Kafka, Producer, ProducerConfig } from 'kafkajs';
import type { Logger } from 'pino';
import type { CompressionName } from '../config/kafka-options.js';
import type { KafkaReachability } from './kafka-client.js';
import { commonConfig, producerConfig, retryOf, type LibrdkafkaClientInput, type RdConfig } from './librdkafka-config.js';
import { LibrdkafkaAdmin } from './librdkafka-admin.js';
import { LibrdkafkaConsumer } from './librdkafka-consumer.js';
import { LibrdkafkaProducer } from './librdkafka-producer.js';

export const LIBRDKAFKA_PACKAGE = '@confluentinc/kafka-javascript';

/** The part of the package this engine uses; its clients take kafkajs's call shapes. */
interface RdKafka {
  producer(config: RdConfig): Producer;
  consumer(config: RdConfig): Consumer;
  admin(config?: RdConfig): Admin;
}
interface RdModule {
  KafkaJS: { Kafka: new (config: RdConfig) => RdKafka };
  librdkafkaVersion?: string;
}

let loaded: { module?: RdModule; error?: unknown } | undefined;
let fallbackWarned = false;
let engineSaid = false;

/** The package, or the reason it cannot be loaded (cached: a failed native load does not heal). */
export function loadLibrdkafka(): { module?: RdModule; error?: unknown } {
  if (!loaded) {
    try {
      loaded = { module: createRequire(import.meta.url)(LIBRDKAFKA_PACKAGE) as RdModule };
    } catch (error) {
      loaded = { error };
    }
  }
  return loaded;
}

/** Whether the librdkafka engine can run in this process (the optional build is there and loads). */
export function librdkafkaAvailable(): boolean {
  return loadLibrdkafka().module !== undefined;
}

/** Says once per process that librdkafka was asked for and kafkajs runs instead. */
export function warnLibrdkafkaFallback(logger: Logger | undefined, error: unknown): void {
  if (fallbackWarned) return;
  fallbackWarned = true;
  const reason = (error as { code?: string })?.code === 'MODULE_NOT_FOUND' ? `${LIBRDKAFKA_PACKAGE} is not installed (its native build failed or was skipped)` : String((error as Error)?.message ?? error).split('\n')[0];
  logger?.warn({ component: 'kafka', engine: 'kafkajs' }, `Kafka engine librdkafka unavailable, running kafkajs: ${reason}`);
}

/** Lines librdkafka repeats while a broker is down (its `fac` names, and the all-down summary). */
function isOutage(extra: Record<string, unknown> | undefined, message: string): boolean {
  return extra?.fac === 'FAIL' || message.includes('brokers are down') || message.includes('Connection refused');
}

type LogFn = (message: string, extra?: Record<string, unknown>) => void;

/** A logger of the shape the binding's KafkaJS API takes, writing into pino. */
export function librdkafkaLogger(logger: Logger, reachability: KafkaReachability | undefined): Record<string, unknown> {
  const child = logger.child({ component: 'librdkafka' });
  const write = (method: 'error' | 'warn' | 'debug' | 'trace'): LogFn => (message, extra) => {
    const { timestamp: _t, message: _m, ...fields } = extra ?? {};
    let to = method;
    if ((method === 'error' || method === 'warn') && isOutage(extra, String(message))) {
      reachability?.lost({ detail: String(message) });
      to = 'debug';
    }
    if (child.isLevelEnabled(to)) child[to](fields, String(message));
  };
  const bridge: Record<string, unknown> = { error: write('error'), warn: write('warn'), info: write('debug'), debug: write('trace'), setLogLevel: () => undefined };
  bridge.namespace = () => bridge;
  return bridge;
}

export interface LibrdkafkaEngineInput extends LibrdkafkaClientInput {
  /** The codec librdkafka compresses every produced batch with (the config's compression.type). */
  compression: CompressionName;
  acks?: -1 | 0 | 1;
  maxMessageBytes?: number;
  /** A kafkajs admin on the same connection settings, for describeCluster/describeConfigs. */
  kafkajsAdmin: () => Admin;
}

/** A kafkajs-typed `Kafka` run by librdkafka, or undefined when the package cannot be loaded. */
export function createLibrdkafkaKafka(input: LibrdkafkaEngineInput, logger: Logger | undefined): Kafka | undefined {
  const { module, error } = loadLibrdkafka();
  if (!module) {
    warnLibrdkafkaFallback(logger, error);
    return undefined;
  }
  if (!engineSaid) {
    engineSaid = true;
    logger?.info({ component: 'kafka', engine: 'librdkafka', version: module.librdkafkaVersion }, 'Kafka engine: librdkafka');
  }
  const rd = new module.KafkaJS.Kafka(commonConfig(input));
  const admin = (config?: { retry?: ProducerConfig['retry'] }): Admin => {
    const retry = retryOf(config?.retry);
    return rd.admin(retry ? { kafkaJS: { retry } } : {});
  };
  const wrappedAdmin = (config?: { retry?: ProducerConfig['retry'] }): Admin => new LibrdkafkaAdmin(admin(config), input.kafkajsAdmin) as unknown as Admin;
  const kafka = {
    consumer: (config: ConsumerConfig) => new LibrdkafkaConsumer(config, (c) => rd.consumer(c)),
    producer: (config: ProducerConfig = {}) => {
      const settings = { compression: input.compression, ...(input.acks !== undefined && { acks: input.acks }), ...(input.maxMessageBytes !== undefined && { maxMessageBytes: input.maxMessageBytes }) };
      return new LibrdkafkaProducer(config, input.compression, rd.producer(producerConfig(config, settings)), () => wrappedAdmin());
    },
    admin: (config?: { retry?: ProducerConfig['retry'] }) => wrappedAdmin(config),
    logger: () => logger,
  };
  // The adapters implement what the toolkit calls (see their headers), not all of kafkajs.
  return kafka as unknown as Kafka;
}
