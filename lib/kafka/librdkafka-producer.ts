/**
 * LibrdkafkaProducer: a kafkajs `Producer` as far as the toolkit uses one, run by librdkafka
 * through `@confluentinc/kafka-javascript`.
 *
 * In: kafkajs producer options (idempotent, allowAutoTopicCreation, createPartitioner), the
 * codec and acks the config chose, an inner producer and an admin for topic metadata. Out:
 * connect, send, sendBatch, disconnect, and for a producer made with a `transactionalId`,
 * `transaction()` (librdkafka-transaction.ts; connect runs librdkafka's init_transactions, which
 * fences an older producer with the same id and aborts its open transaction).
 *
 * Where the two APIs differ:
 * - librdkafka compresses with one codec per producer (`compression.codec`) and sets acks per
 *   producer; kafkajs takes both per send. The codec and acks are the config's, given when the
 *   engine was made; a send asking for another codec is refused (ERR_KAFKA) rather than
 *   silently sent with the wrong one. Every codec (gzip, snappy, lz4, zstd) is librdkafka's own,
 *   so none of the kafkajs codec registration or speed patches take part.
 * - Its KafkaJS API has no `createPartitioner`. A custom partitioner (the toolkit's
 *   FilePartitioner keeps a file's chunks on one partition) runs here: each message gets its
 *   partition from it, with the topic's partition list read once per topic from the admin.
 *   Without one, librdkafka's murmur2_random partitioner is kafkajs's DefaultPartitioner.
 */
import type { Admin, ICustomPartitioner, Message, PartitionMetadata, Producer, ProducerBatch, ProducerConfig, ProducerRecord, RecordMetadata } from 'kafkajs';
import type { CompressionName } from '../config/kafka-options.js';
import { DataFileStreamError } from '../errors.js';
import { CODEC_NAMES } from './librdkafka-config.js';
import { kafkajsErrors } from './librdkafka-errors.js';
import { LibrdkafkaTransaction, type RdTransactional } from './librdkafka-transaction.js';

type Partitioner = ReturnType<ICustomPartitioner>;

export class LibrdkafkaProducer {
  readonly #inner: Producer;
  readonly #admin: Admin | undefined;
  readonly #partitioner: Partitioner | undefined;
  readonly #compression: CompressionName;
  readonly #idempotent: boolean;
  readonly #transactional: boolean;
  readonly #partitions = new Map<string, Promise<PartitionMetadata[]>>();

  constructor(config: ProducerConfig, compression: CompressionName, inner: Producer, admin: () => Admin) {
    this.#inner = inner;
    this.#compression = compression;
    this.#idempotent = config.idempotent === true || config.transactionalId !== undefined;
    this.#transactional = config.transactionalId !== undefined;
    this.#partitioner = config.createPartitioner?.();
    this.#admin = this.#partitioner ? admin() : undefined;
  }

  async connect(): Promise<void> {
    await kafkajsErrors(this.#inner.connect());
    await this.#admin?.connect();
  }

  async disconnect(): Promise<void> {
    await this.#inner.disconnect();
    await this.#admin?.disconnect().catch(() => undefined);
  }

  isIdempotent(): boolean {
    return this.#idempotent;
  }

  /** Begins a transaction; what is sent through it, and the offsets given it, commit or abort together. */
  async transaction(): Promise<LibrdkafkaTransaction> {
    if (!this.#transactional) throw new DataFileStreamError('ERR_KAFKA', 'transaction() on a producer made without a transactionalId', {});
    const inner = this.#inner as unknown as Producer & RdTransactional;
    await kafkajsErrors(inner.transaction());
    return new LibrdkafkaTransaction(this, inner);
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.#checkCodec(record.compression, record.topic);
    const messages = await this.#partitioned(record.topic, record.messages);
    return kafkajsErrors(this.#inner.send({ topic: record.topic, messages }));
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const sent = await Promise.all((batch.topicMessages ?? []).map((t) => this.send({ topic: t.topic, messages: t.messages, ...(batch.compression !== undefined && { compression: batch.compression }) })));
    return sent.flat();
  }

  #checkCodec(compression: number | undefined, topic: string): void {
    if (compression === undefined) return;
    const asked = CODEC_NAMES[compression];
    if (asked === this.#compression) return;
    throw new DataFileStreamError('ERR_KAFKA', `the librdkafka engine compresses with the producer's codec (${this.#compression}, from the config's compression.type); this send asks for ${asked ?? compression}`, { topic });
  }

  async #partitioned(topic: string, messages: Message[]): Promise<Message[]> {
    const partitioner = this.#partitioner;
    if (!partitioner) return messages;
    const partitionMetadata = await this.#partitionsOf(topic);
    return messages.map((message) => (message.partition !== undefined ? message : { ...message, partition: partitioner({ topic, partitionMetadata, message }) }));
  }

  #partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    let known = this.#partitions.get(topic);
    if (!known) {
      known = this.#admin!.fetchTopicMetadata({ topics: [topic] }).then((m) => m.topics[0]?.partitions ?? []);
      known.catch(() => this.#partitions.delete(topic));
      this.#partitions.set(topic, known);
    }
    return known;
  }
}
