/**
 * LibrdkafkaTransaction: a kafkajs `Transaction` as far as the toolkit uses one (send, sendBatch,
 * sendOffsets, commit, abort, isActive), run by the binding's transactional producer.
 *
 * In: the producer adapter (its send keeps the codec check and the custom partitioner) and the
 * binding's producer, on which a transaction was begun. The binding has no transaction object:
 * the producer is the transaction, and one is open at a time.
 *
 * Where the two APIs differ:
 * - kafkajs's `sendOffsets({ consumerGroupId, topics })` writes the offsets under a group id.
 *   librdkafka's takes the consumer that read them and sends its group metadata (member id and
 *   generation, KIP-447), so the broker refuses offsets from a member that a rebalance has cut
 *   off. Here `sendOffsets` takes `consumer` (a running librdkafka consumer of this toolkit); a
 *   group id alone cannot say that, and is refused with ERR_TRANSACTIONS_UNSUPPORTED. A group id
 *   given beside the consumer must be the consumer's.
 * - The binding commits and aborts with a fixed 5 s timeout. A timed-out commit goes on in
 *   librdkafka and is marked retriable: it is called again (the same call is what librdkafka
 *   expects) a few times, well inside the transaction timeout, before the error is handed on.
 *   An abortable error is the caller's to abort; a fatal one (fenced by a newer producer with the
 *   same transactional id) leaves the producer unusable, and the caller stops.
 */
import type { Consumer, Offsets, ProducerBatch, ProducerRecord, RecordMetadata } from 'kafkajs';
import { DataFileStreamError } from '../errors.js';
import { LibrdkafkaConsumer } from './librdkafka-consumer.js';
import { asKafkajsError, kafkajsErrors } from './librdkafka-errors.js';

/** How often a commit or abort that timed out (retriable) is called again. */
const FINISH_ATTEMPTS = 6;

/** The binding's transactional calls (its KafkaJS producer). */
export interface RdTransactional {
  sendOffsets(arg: { consumer: unknown; topics: Offsets['topics'] }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
}

interface Sender {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
}

export interface TransactionOffsets extends Offsets {
  /** The consumer that read the records these offsets pass (required on this engine). */
  consumer?: Consumer;
  /** kafkajs's way; here only checked against the consumer's group. */
  consumerGroupId?: string;
}

export class LibrdkafkaTransaction {
  readonly #sender: Sender;
  readonly #inner: RdTransactional;

  constructor(sender: Sender, inner: RdTransactional) {
    this.#sender = sender;
    this.#inner = inner;
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.#sender.send(record);
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.#sender.sendBatch(batch);
  }

  async sendOffsets({ consumer, consumerGroupId, topics }: TransactionOffsets): Promise<void> {
    if (!(consumer instanceof LibrdkafkaConsumer)) {
      throw new DataFileStreamError('ERR_TRANSACTIONS_UNSUPPORTED', 'the librdkafka engine commits offsets in a transaction only through the librdkafka consumer that read them; a group id alone is not enough', { ...(consumerGroupId !== undefined && { groupId: consumerGroupId }) });
    }
    if (consumerGroupId !== undefined && consumerGroupId !== consumer.groupId) {
      throw new DataFileStreamError('ERR_KAFKA', `sendOffsets for group ${consumerGroupId} through a consumer of group ${consumer.groupId}`, { groupId: consumerGroupId });
    }
    await kafkajsErrors(this.#inner.sendOffsets({ consumer: consumer.transactionConsumer(), topics }));
  }

  commit(): Promise<void> {
    return this.#finish(() => this.#inner.commit());
  }

  abort(): Promise<void> {
    return this.#finish(() => this.#inner.abort());
  }

  isActive(): boolean {
    return this.#inner.isActive();
  }

  async #finish(call: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if ((err as { retriable?: unknown })?.retriable !== true || attempt >= FINISH_ATTEMPTS) throw asKafkajsError(err);
      }
    }
  }
}
