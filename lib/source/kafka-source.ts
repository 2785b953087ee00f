/**
 * KafkaSource: a Readable (object mode) of SourceItems, one per Kafka record of one topic.
 *
 * In: a connected kafkajs Consumer (the caller owns connect/disconnect, because the committer
 * still needs it after this stream ended). Out: `{ kind: 'chunk', record }` for a valid chunk,
 * `{ kind: 'bad', position, error }` for a value that is not one (never an 'error' event: bad
 * input must not stop the stream). Chunk hashes are verified on a worker thread (sha512Async).
 *
 * Flow: kafkajs fetches, then hands the batch to `eachBatch`, and only fetches again once that
 * returned. So a batch's records are decoded, their hashes started, and queued in order, and the
 * handler returns at once: the next fetch travels while this batch's hashes are computed and its
 * records are pushed (each as soon as it and every record before it are verified).
 * Backpressure: when the records queued here reach about `maxBufferedBytes` (a
 * record count from the running average record size, at most `highWaterMark`), the handler
 * waits for room before taking more; while it waits kafkajs fetches nothing for this consumer,
 * which is exactly the pause we want, and the handler keeps calling `heartbeat()` so a slow
 * pipeline never gets the member thrown out of its group.
 *
 * Offsets: auto-commit is off. Each pushed record is `resolveOffset`-ed (that only moves the fetch
 * position) and `observe`d in the OffsetTracker; the OffsetCommitter commits a partition only up
 * to records whose files are finished.
 *
 * End: `stop()` stops fetching, drops what was queued and not pushed yet (the read-ahead), and
 * ends the stream. Dropped records were observed but are never settled, so the committed offset
 * stays below them and the next run reads them again, as it does records never taken from
 * kafkajs. A stop therefore waits for the batch handler to return, not for the read-ahead.
 * `stop({ drain: true })` (the `--until_idle` stop) pushes the queued records instead: idle
 * means "done", so a run stopped that way must hand on everything it read. A prompt stop that
 * comes during a draining one drops what is still queued.
 *
 * Errors: a failed subscribe, or a consumer crash kafkajs will not restart from, destroys the
 * stream with a coded error (ERR_TOPIC_MISSING, ERR_KAFKA), which the pipeline reports.
 */
import { Readable } from 'node:stream';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { chunkKey, decodeChunk, verifyChunkHash, type DecodeOptions } from '../codec/chunk-codec.js';
import { ChunkDecodeError, DataFileStreamError } from '../errors.js';
import type { ReadPositions, SourceItem } from '../pipeline-events.js';
import { kafkajsErrorTypes } from '../kafka/kafkajs-error-chain.js';

export interface KafkaSourceOptions {
  consumer: Consumer;
  topic: string;
  tracker: ReadPositions;
  logger: Logger;
  /** Start from the earliest offset when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  decode?: DecodeOptions;
  /** Records taken from kafkajs and not yet handed on before backpressure, at most (default 1024). */
  highWaterMark?: number;
  /** Bytes of records queued and buffered before backpressure, about (default 8 MiB). */
  maxBufferedBytes?: number;
  /** How often to heartbeat while waiting for the pipeline (default 1000 ms). */
  heartbeatIntervalMs?: number;
  /** Called with the partitions assigned to this member after every rebalance. */
  onAssignment?: (partitions: number[]) => void;
}

export class KafkaSource extends Readable {
  readonly #o: Required<Omit<KafkaSourceOptions, 'onAssignment' | 'decode'>> & Pick<KafkaSourceOptions, 'onAssignment' | 'decode'>;
  #roomWaiter: (() => void) | undefined;
  #stopping = false;
  #assigned = new Set<number>();
  #recordsRead = 0;
  #bytesRead = 0;
  #lastRecordAt = Date.now();
  #next = new Map<number, bigint>();
  #batchInFlight: Promise<void> = Promise.resolve();
  /**
   * Records taken from kafkajs and not pushed yet, in order, each ready or being verified. The
   * stream pulls from here (`_read`); the batch handler waits while it holds `#recordLimit`.
   */
  #queue: Array<SourceItem | Promise<SourceItem>> = [];
  /** The stream asked for more and was not given any since. */
  #wanted = false;
  /** Stopped promptly: nothing more is pushed but the end. */
  #discarded = false;
  /** Stopping with drain: push whatever is queued without waiting to be asked. */
  #draining = false;
  #stopRun: Promise<void> | undefined;
  #pumping = false;
  #pumpRun: Promise<void> = Promise.resolve();
  /** Running average of record value sizes; starts at a typical 512 KiB chunk (conservative). */
  #averageRecordBytes = 512 * 1024;

  constructor(options: KafkaSourceOptions) {
    // The queue is the buffer: the stream itself holds one record, to hand over the next at once.
    super({ objectMode: true, highWaterMark: 1 });
    this.#o = { fromBeginning: true, highWaterMark: 1024, maxBufferedBytes: 8 * 1024 * 1024, heartbeatIntervalMs: 1000, ...options };
  }

  /** Records to hold here: `maxBufferedBytes` of records of the average size so far (4 at least). */
  get #recordLimit(): number {
    return Math.max(4, Math.min(this.#o.highWaterMark, Math.floor(this.#o.maxBufferedBytes / Math.max(1, this.#averageRecordBytes))));
  }

  get recordsRead(): number {
    return this.#recordsRead;
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Milliseconds since the last record arrived, or since the stream was created. */
  get quietFor(): number {
    return Date.now() - this.#lastRecordAt;
  }

  /** Next offset this source would read on a partition (one past the last record taken from kafkajs). */
  nextOffset(partition: number): bigint | undefined {
    return this.#next.get(partition);
  }

  /** Partitions of the topic currently assigned to this member. */
  get assignedPartitions(): number[] {
    return [...this.#assigned];
  }

  override _construct(callback: (err?: Error | null) => void): void {
    const { consumer, topic, fromBeginning } = this.#o;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const partitions = event.payload.memberAssignment[topic] ?? [];
      // Every partition, kept ones too: after a rebalance kafkajs starts each assigned partition
      // again from the group's committed offset, which another member may have moved past this
      // member's watermark while it was away (paused, evicted). A window kept from before would
      // commit that stale watermark and move the group's offset back below records nobody reads
      // again (the re-read starts where the group stood at the join). Settles of records read
      // before the join are then ignored, or settle the re-read copies their files also hold.
      for (const p of this.#assigned) {
        this.#o.tracker.forget(topic, p);
        this.#next.delete(p);
      }
      this.#assigned = new Set(partitions);
      this.#o.logger.info({ partitions }, 'partitions assigned');
      this.#o.onAssignment?.(partitions);
    });
    // kafkajs restarts the consumer after most crashes (a broker outage); one it will not restart
    // from ends this member's reading for good, so it must end the pipeline, not leave it idle.
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) return;
      const error = kafkaError(event.payload.error, topic);
      if (this.destroyed || this.readableEnded) this.#o.logger.debug({ err: error }, 'consumer crashed after the source ended');
      else this.destroy(error);
    });
    consumer
      .subscribe({ topic, fromBeginning })
      .then(() => consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.#onBatch(payload) }))
      .then(() => callback(), (err: unknown) => callback(kafkaError(err, topic)));
  }

  override _read(): void {
    this.#wanted = true;
    void this.#pump();
  }

  /** Pushes queued records in order, each once it is verified, while the stream wants them. */
  #pump(): Promise<void> {
    if (!this.#pumping) {
      this.#pumping = true;
      this.#pumpRun = this.#pumpLoop();
    }
    return this.#pumpRun;
  }

  async #pumpLoop(): Promise<void> {
    try {
      while ((this.#wanted || this.#draining) && this.#queue.length > 0 && !this.destroyed && !this.#discarded) {
        const item = await this.#queue[0]!;
        if (this.destroyed || this.#discarded) return;
        this.#queue.shift();
        this.#wakeHandler();
        this.#wanted = this.push(item);
      }
    } finally {
      // Cleared in the same turn as the last check, so a record queued after it starts a new run.
      this.#pumping = false;
    }
  }

  /** Lets the batch handler take more records once the queue has room (or the stream stops). */
  #wakeHandler(): void {
    if (!this.#roomWaiter || (this.#queue.length >= this.#recordLimit && !this.#stopping && !this.destroyed)) return;
    const wake = this.#roomWaiter;
    this.#roomWaiter = undefined;
    wake();
  }

  /**
   * Stops fetching and ends the stream once the batch in progress returned, leaving the records
   * queued here to the next run, or with `drain` handing them on first. The consumer keeps its
   * group membership (paused, heartbeating) so the committer can still commit what the pipeline
   * finishes; the owner disconnects it afterwards. Calling it again without `drain` while a
   * draining stop runs turns that one prompt.
   */
  stop(options: { drain?: boolean } = {}): Promise<void> {
    if (options.drain !== true) this.#discarded = true;
    this.#stopRun ??= this.#stop();
    return this.#stopRun;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    this.#wakeHandler();
    try {
      this.#o.consumer.pause([{ topic: this.#o.topic }]);
    } catch (err) {
      this.#o.logger.debug({ err }, 'pause before stop failed');
    }
    await this.#batchInFlight;
    // Backpressure no longer matters: nothing more is fetched, and the downstream stages end.
    this.#draining = true;
    while (!this.#discarded && this.#queue.length > 0 && !this.destroyed) await this.#pump();
    if (this.#queue.length > 0) this.#o.logger.debug({ records: this.#queue.length }, 'records read ahead are left to the next run');
    this.#queue = [];
    await this.#pumpRun;
    if (!this.destroyed) this.push(null);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#stopping = true;
    this.#wakeHandler();
    callback(err);
  }

  async #onBatch(payload: EachBatchPayload): Promise<void> {
    const work = this.#pushBatch(payload);
    this.#batchInFlight = work.catch(() => undefined);
    return work;
  }

  async #pushBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    for (const message of batch.messages) {
      if (this.#stopping || this.destroyed || !isRunning() || isStale()) return;
      if (this.#queue.length >= this.#recordLimit) await this.#waitForRoom(heartbeat);
      if (this.#stopping || this.destroyed || !isRunning() || isStale()) return;
      this.#queue.push(this.#toItem(batch.topic, batch.partition, message));
      if (this.#wanted) void this.#pump();
      this.#observe(batch.topic, batch.partition, message.offset);
      resolveOffset(message.offset);
      this.#next.set(batch.partition, BigInt(message.offset) + 1n);
      this.#recordsRead++;
      this.#bytesRead += message.value?.length ?? 0;
      this.#averageRecordBytes += ((message.value?.length ?? 0) - this.#averageRecordBytes) / 16;
      this.#lastRecordAt = Date.now();
    }
    await heartbeat().catch(() => undefined);
  }

  #toItem(topic: string, partition: number, message: KafkaMessage): SourceItem | Promise<SourceItem> {
    const position = { topic, partition, offset: message.offset };
    const key = message.key === null ? null : message.key.toString('utf8');
    const bad = (err: unknown): SourceItem => {
      const error = err instanceof DataFileStreamError ? err : new ChunkDecodeError('ERR_CHUNK_MALFORMED', String(err), {}, err);
      return { kind: 'bad', position, error, key };
    };
    try {
      const verify = this.#o.decode?.verifyHash !== false;
      const chunk = decodeChunk(message.value, { ...this.#o.decode, verifyHash: false });
      if (key !== null && key !== chunkKey(chunk)) {
        throw new ChunkDecodeError('ERR_CHUNK_KEY_MISMATCH', `record key "${key}" does not match its value (${chunkKey(chunk)})`);
      }
      const item: SourceItem = { kind: 'chunk', record: { ...position, chunk, valueBytes: message.value?.length ?? 0 } };
      return verify ? verifyChunkHash(chunk).then(() => item, bad) : item;
    } catch (err) {
      return bad(err);
    }
  }

  /**
   * After a rebalance kafkajs resumes a partition from its committed offset, so records already
   * seen come again: start the partition's tracking afresh there. Files holding the earlier
   * copies still settle them; the re-read copies are duplicates their files also hold.
   */
  #observe(topic: string, partition: number, offset: string): void {
    const { tracker } = this.#o;
    try {
      tracker.observe(topic, partition, offset);
    } catch {
      tracker.reset(topic, partition, offset);
      tracker.observe(topic, partition, offset);
    }
  }

  /** Waits for room in the queue, heartbeating so the group does not evict this member meanwhile. */
  async #waitForRoom(heartbeat: () => Promise<void>): Promise<void> {
    if (this.#stopping || this.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        heartbeat().catch((err: unknown) => this.#o.logger.debug({ err }, 'heartbeat while paused failed'));
      }, this.#o.heartbeatIntervalMs);
      this.#roomWaiter = () => {
        clearInterval(timer);
        resolve();
      };
    });
  }
}

function kafkaError(err: unknown, topic: string): DataFileStreamError {
  if (err instanceof DataFileStreamError) return err;
  if (kafkajsErrorTypes(err).includes('UNKNOWN_TOPIC_OR_PARTITION')) {
    return new DataFileStreamError('ERR_TOPIC_MISSING', `topic "${topic}" does not exist (or was deleted); an upload to it creates it`, { topic }, err);
  }
  return new DataFileStreamError('ERR_KAFKA', `Kafka consumer failed for topic "${topic}": ${(err as Error)?.message ?? String(err)}`, { topic }, err);
}
