/**
 * Sends encoded chunks to one topic with bounded bytes in flight.
 *
 * `send(key, value)` resolves as soon as the record is queued (it waits while the byte budget is
 * full: that wait is the backpressure that keeps a multi-GiB upload flat in memory) and returns
 * an `acked` promise that settles when the broker acknowledged the batch holding it. Records are
 * grouped into batches of about `batchBytes` (OpenMSIStream ships batch.size 2000000 and
 * linger.ms 100); a partial batch leaves after `lingerMs` or on `flush()`.
 *
 * Memory: the budget counts record values; the client's copies of a batch (kafkajs encodes it
 * into a request it keeps until the broker answers: about twice the batch again, plus garbage
 * for the collector) exist only for batches handed to it, and at most `maxRequestsInFlight` are.
 * Full batches beyond that wait here as values. Without that bound a slow broker let a 1 GiB
 * upload hold a dozen encoded requests (RSS 190 -> 320 MiB) for no gain: the broker answers a
 * connection's requests one at a time anyway.
 */
import type { CompressionTypes, Producer } from 'kafkajs';
import { ByteBudget } from '../flow/byte-budget.js';
import { UploadError } from '../errors.js';
import { validateChunkProducerLimits, type ChunkProducerLimits } from './chunk-producer-options.js';

/** maxBytesInFlight (16 MiB), batchBytes (2,000,000), lingerMs (100), acks (-1), maxRequestsInFlight (2): chunk-producer-options.ts. */
export interface ChunkProducerOptions extends Partial<ChunkProducerLimits> {
  topic: string;
  compression: CompressionTypes;
}

interface Pending {
  key: string;
  value: Buffer;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Batch {
  records: Pending[];
  bytes: number;
}

export class ChunkProducer {
  readonly #producer: Producer;
  readonly #options: ChunkProducerOptions & Readonly<ChunkProducerLimits>;
  readonly #budget: ByteBudget;
  #batch: Pending[] = [];
  #batchBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Full (or lingered) batches waiting for a request slot. */
  readonly #ready: Batch[] = [];
  #inFlight = new Set<Promise<void>>();

  constructor(producer: Producer, options: ChunkProducerOptions) {
    this.#producer = producer;
    this.#options = { ...options, ...validateChunkProducerLimits(options) };
    this.#budget = new ByteBudget(this.#options.maxBytesInFlight, 'maxBytesInFlight');
  }

  get bytesInFlight(): number {
    return this.#budget.used;
  }

  /** Batches handed to the client and not yet answered (at most maxRequestsInFlight). */
  get requestsInFlight(): number {
    return this.#inFlight.size;
  }

  async send(key: string, value: Buffer): Promise<{ acked: Promise<void> }> {
    await this.#budget.acquire(value.length);
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const acked = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    acked.catch(() => undefined); // the caller awaits it; never an unhandled rejection here
    this.#batch.push({ key, value, resolve, reject });
    this.#batchBytes += value.length;
    if (this.#batchBytes >= this.#options.batchBytes) this.#dispatch();
    else this.#timer ??= setTimeout(() => this.#dispatch(), this.#options.lingerMs);
    return { acked };
  }

  /** Sends what is batched and waits for every outstanding acknowledgement. */
  async flush(): Promise<void> {
    this.#dispatch();
    // A settling request hands the next waiting batch over before it leaves #inFlight's promises.
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #dispatch(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#batch.length === 0) return;
    this.#ready.push({ records: this.#batch, bytes: this.#batchBytes });
    this.#batch = [];
    this.#batchBytes = 0;
    this.#sendReady();
  }

  /** Hands waiting batches to the client while a request slot is free; a settled request calls it again. */
  #sendReady(): void {
    while (this.#inFlight.size < this.#options.maxRequestsInFlight && this.#ready.length > 0) this.#send(this.#ready.shift()!);
  }

  #send({ records, bytes }: Batch): void {
    const request = this.#producer
      .send({
        topic: this.#options.topic,
        compression: this.#options.compression,
        acks: this.#options.acks,
        messages: records.map(({ key, value }) => ({ key, value })),
      })
      .then(
        () => records.forEach((p) => p.resolve()),
        (err: unknown) => {
          const wrapped = toUploadError(err, this.#options.topic);
          records.forEach((p) => p.reject(wrapped));
        },
      )
      .finally(() => {
        this.#budget.release(bytes);
        this.#inFlight.delete(request);
        this.#sendReady();
      });
    this.#inFlight.add(request);
  }
}

export function toUploadError(err: unknown, topic: string): UploadError {
  if (err instanceof UploadError) return err;
  const type = (err as { type?: string } | undefined)?.type;
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new UploadError('ERR_TOPIC_MISSING', `topic "${topic}" does not exist on the broker (and it does not create topics automatically)`, { topic }, err);
  }
  return new UploadError('ERR_PRODUCE_FAILED', `producing to "${topic}" failed: ${(err as Error)?.message ?? String(err)}`, { topic }, err);
}
