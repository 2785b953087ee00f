/**
 * LibrdkafkaConsumer: a kafkajs `Consumer` as far as the toolkit uses one, run by librdkafka
 * through `@confluentinc/kafka-javascript`'s KafkaJS-compatible consumer.
 *
 * In: kafkajs consumer options and a factory for the inner consumer. Out: connect, subscribe,
 * run (eachBatch / eachMessage, manual or auto commit), commitOffsets (with metadata), pause,
 * resume, seek, stop, disconnect, and `on(consumer.events.X)`; and, once running, the binding's
 * consumer for a transaction's offsets (`transactionConsumer`).
 *
 * Where the two APIs differ:
 * - librdkafka fixes `auto.offset.reset` and the commit mode when the consumer is made, kafkajs
 *   takes them at subscribe and run. So the inner consumer is made, connected and subscribed in
 *   `run()`, when both are known; connect() only marks this one connected (librdkafka's connect
 *   is local either way: brokers are first asked at subscribe).
 * - Its KafkaJS API has no `consumer.on(...)`. Events come from here: GROUP_JOIN from librdkafka's
 *   rebalance callback on every assignment (payload.memberAssignment as kafkajs gives it; the
 *   callback runs before the assignment is applied, so a seek made from the listener applies to
 *   it), REBALANCING on a revoke, FETCH per batch handed to eachBatch (and per message to
 *   eachMessage, so the toolkit hears that Kafka answers), CONNECT, DISCONNECT, STOP, and CRASH
 *   when the inner run fails. librdkafka retries broker outages itself and never "restarts" the
 *   consumer, so kafkajs's CRASH-with-restart is never emitted.
 * - `heartbeat()` in a batch payload is a no-op: librdkafka heartbeats from its own thread, so a
 *   batch waiting for the pipeline keeps the member in its group (within max.poll.interval.ms).
 */
import { EventEmitter } from 'node:events';
import type { Consumer, ConsumerConfig, ConsumerRunConfig, ConsumerSubscribeTopic, ConsumerSubscribeTopics, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { DataFileStreamError } from '../errors.js';
import { consumerConfig, type ConsumerSettings, type RdConfig } from './librdkafka-config.js';

/** kafkajs's consumer event names, so `consumer.events.GROUP_JOIN` means the same on both engines. */
export const CONSUMER_EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const;

/** librdkafka's rebalance codes (rdkafka.h RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS / __REVOKE_). */
const ASSIGN_PARTITIONS = -175;

type Assignment = Array<{ topic: string; partition: number }>;
type MakeInner = (config: RdConfig) => Consumer;

export class LibrdkafkaConsumer {
  readonly events = CONSUMER_EVENTS;
  readonly #emitter = new EventEmitter();
  readonly #config: ConsumerConfig;
  readonly #make: MakeInner;
  #inner: Consumer | undefined;
  #connected = false;
  #subscription: ConsumerSubscribeTopics = { topics: [] };
  #fromBeginning = false;

  constructor(config: ConsumerConfig, make: MakeInner) {
    this.#config = config;
    this.#make = make;
  }

  async connect(): Promise<void> {
    this.#connected = true;
    this.#emit('CONNECT', {});
  }

  async subscribe(subscription: ConsumerSubscribeTopic | ConsumerSubscribeTopics): Promise<void> {
    if (!this.#connected) throw notReady('subscribe before connect');
    const topics = 'topics' in subscription ? subscription.topics : [subscription.topic];
    this.#subscription = { topics: [...this.#subscription.topics, ...topics] };
    if (subscription.fromBeginning !== undefined) this.#fromBeginning = subscription.fromBeginning;
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (!this.#connected) throw notReady('run before connect');
    const settings: ConsumerSettings = {
      fromBeginning: this.#fromBeginning,
      autoCommit: config.autoCommit ?? true,
      ...(config.autoCommitInterval !== undefined && config.autoCommitInterval !== null && { autoCommitInterval: config.autoCommitInterval }),
    };
    const inner = this.#make({ ...consumerConfig(this.#config, settings), rebalance_cb: (err: { code: number }, assignment: Assignment) => this.#onRebalance(err, assignment) });
    this.#inner = inner;
    await inner.connect();
    await inner.subscribe(this.#subscription);
    const { autoCommit: _a, autoCommitInterval: _i, autoCommitThreshold: _t, eachBatch, eachMessage, ...rest } = config;
    const run = inner.run({
      ...rest,
      ...(eachBatch && { eachBatch: (payload) => (this.#emit('FETCH', { numberOfBatches: 1 }), eachBatch(payload)) }),
      ...(eachMessage && { eachMessage: (payload) => (this.#emit('FETCH', { numberOfBatches: 1 }), eachMessage(payload)) }),
    });
    await run.catch((error: unknown) => {
      this.#emit('CRASH', { error, groupId: this.#config.groupId, restart: false });
      throw error;
    });
  }

  #onRebalance(err: { code: number }, assignment: Assignment): void {
    if (err.code !== ASSIGN_PARTITIONS) {
      this.#emit('REBALANCING', { groupId: this.#config.groupId, memberId: '' });
      return;
    }
    const memberAssignment: Record<string, number[]> = {};
    for (const { topic, partition } of assignment) (memberAssignment[topic] ??= []).push(partition);
    this.#emit('GROUP_JOIN', { groupId: this.#config.groupId, memberId: '', leaderId: '', isLeader: false, memberAssignment, groupProtocol: 'librdkafka', duration: 0 });
  }

  #emit(event: keyof typeof CONSUMER_EVENTS, payload: Record<string, unknown>): void {
    const type = CONSUMER_EVENTS[event];
    this.#emitter.emit(type, { id: 0, type, timestamp: Date.now(), payload });
  }

  /** The group this consumer joins. */
  get groupId(): string {
    return this.#config.groupId;
  }

  /**
   * The binding's own consumer, for a transactional producer's `sendOffsets`
   * (librdkafka-transaction.ts): librdkafka commits offsets in a transaction with the group
   * metadata (member, generation) of the consumer that read them, not with a group id alone.
   */
  transactionConsumer(): Consumer {
    return this.#running('sendOffsets');
  }

  #running(what: string): Consumer {
    if (!this.#inner) throw notReady(`${what} before run`);
    return this.#inner;
  }

  commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    return this.#running('commitOffsets').commitOffsets(offsets);
  }

  pause(topics: Parameters<Consumer['pause']>[0]): void {
    this.#running('pause').pause(topics);
  }

  resume(topics: Parameters<Consumer['resume']>[0]): void {
    this.#running('resume').resume(topics);
  }

  seek(offset: Parameters<Consumer['seek']>[0]): void {
    this.#running('seek').seek(offset);
  }

  paused(): ReturnType<Consumer['paused']> {
    return this.#inner?.paused() ?? [];
  }

  async stop(): Promise<void> {
    await this.#inner?.stop();
    this.#emit('STOP', {});
  }

  async disconnect(): Promise<void> {
    const inner = this.#inner;
    this.#inner = undefined;
    this.#connected = false;
    await inner?.disconnect();
    this.#emit('DISCONNECT', {});
  }

  on(event: string, listener: (event: unknown) => void): () => void {
    this.#emitter.on(event, listener);
    return () => void this.#emitter.off(event, listener);
  }
}

function notReady(what: string): DataFileStreamError {
  return new DataFileStreamError('ERR_KAFKA', `librdkafka consumer: ${what}`, {});
}
