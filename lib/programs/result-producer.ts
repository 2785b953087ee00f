/**
 * ResultProducer: sends a reproducer's result messages to the producer topic, at least once.
 * `send(key, value)` resolves only once the broker acknowledged the record (acks from the
 * config's [producer] section, else all replicas), so a file is recorded as done, and its offsets
 * may be committed, only after its result is in the topic. A crash between the acknowledgement
 * and the commit sends that result again on restart (the exactly-once mode closes that gap).
 *
 * The client is built from the config file's producer side (lib/kafka/kafka-from-config.ts), on
 * the engine the program runs on. Opening checks that the topic exists (created with the
 * broker's defaults where the broker creates topics itself). Errors: a failed send rejects with
 * ERR_PRODUCE_FAILED naming the topic; the processing attempt then fails and is retried.
 */
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { DataFileStreamError } from '../errors.js';
import { compressionFromName } from '../kafka/compression.js';
import { ensureTopic } from '../kafka/ensure-topic.js';
import { kafkaFromConfig } from '../kafka/kafka-from-config.js';

export interface ResultProducerOptions {
  config: string;
  topic: string;
  logger: Logger;
  allowPlaintext?: boolean;
  kafkaEngine?: string | undefined;
}

type SendSettings = Omit<Parameters<Producer['send']>[0], 'messages' | 'topic'>;

export class ResultProducer {
  readonly topic: string;
  readonly #producer: Producer;
  readonly #send: SendSettings;

  private constructor(topic: string, producer: Producer, send: SendSettings) {
    this.topic = topic;
    this.#producer = producer;
    this.#send = send;
  }

  static async open(o: ResultProducerOptions): Promise<ResultProducer> {
    const setup = kafkaFromConfig(o.config, 'producer', o.logger, { allowPlaintext: o.allowPlaintext === true, engine: o.kafkaEngine });
    await ensureTopic(setup.kafka, o.topic);
    const producer = setup.kafka.producer({ allowAutoTopicCreation: false, ...(setup.producer.idempotent !== undefined && { idempotent: setup.producer.idempotent }) });
    await producer.connect();
    return new ResultProducer(o.topic, producer, { acks: setup.producer.acks ?? -1, compression: compressionFromName(setup.producer.compression) });
  }

  async send(key: string, value: Buffer | string): Promise<void> {
    try {
      await this.#producer.send({ ...this.#send, topic: this.topic, messages: [{ key, value }] });
    } catch (err) {
      throw new DataFileStreamError('ERR_PRODUCE_FAILED', `result message ${key} was not acknowledged by the broker: ${(err as Error)?.message ?? String(err)}`, { topic: this.topic, key }, err);
    }
  }

  async close(): Promise<void> {
    await this.#producer.disconnect().catch(() => undefined);
  }
}
