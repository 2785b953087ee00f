/**
 * DataFileStreamReproducer: a file in, a message out. For each file rebuilt from the consumer
 * topic the user's method computes one result message, which is produced to another topic
 * (OpenMSIStream's DataFileStreamReproducer):
 *
 *   class MyReproducer extends DataFileStreamReproducer {
 *     async getProcessingResultMessageForFile(file, lock) { return `${file.size} bytes`; } // or an Error
 *   }
 *
 * The message's key is OpenMSIStream's (`<subdir with / as _>_<filename>_chunk_processing_result`),
 * its value the string or bytes returned. Returning nothing, an Error, or throwing means the
 * result could not be computed: the attempt fails, is retried (`--max_attempts`), and a file that
 * fails every attempt is recorded as `computing_result_message_failed` and kept for
 * `--retry_failed`, as a failed file of a processor is.
 *
 * It is a DataFileStreamProcessor whose processing is "compute, then produce": it runs on the
 * same composed pipeline with the same guarantees, in one of two modes:
 * - exactly once (the default): each result and the consumer offsets past its file commit in one
 *   Kafka transaction (transactional-results.ts), so a `read_committed` reader sees it once
 *   across crashes. Needs the kafkajs engine and a broker with transactions. Partial files are
 *   not staged (their records stay uncommitted until the file completes): a staged file's
 *   records would be committed before its result.
 * - at least once (`--at_least_once`): the result is produced and acknowledged, then the file
 *   counts as done (its row in `LOGS/results_produced_to_<producer topic>.csv`, offsets committed
 *   past it); a crash between the two produces it again.
 */
import { ConfigError, ProcessingError, errorCodeOf } from '../errors.js';
import { topicName } from '../config/option-values.js';
import { processingResultKey } from '../codec/processing-result-key.js';
import type { DownloadDataFile } from '../download-data-file.js';
import type { Lock } from '../processing/lock.js';
import { DataFileStreamProcessor, type ConsumerRunExtras, type ProcessorOptions } from './data-file-stream-processor.js';
import { ResultProducer } from './result-producer.js';
import { REPRODUCER_COUNTERS } from '../telemetry/telemetry-messages.js';
import { TransactionalResults } from './transactional-results.js';
import type { ConsumerSummary } from './run-consumer.js';
import type { ArgumentDef, ParsedArguments } from './runnable.js';
import { KAFKA_ARGUMENTS } from './kafka-arguments.js';
import { EXIT_STATUS_HELP } from '../exit-codes.js';

/** A result message's value: text (sent as UTF-8) or bytes. */
export type ResultMessageValue = string | Buffer | Uint8Array;

export interface ReproducerOptions extends ProcessorOptions {
  /** The topic the results go to (--producer_topic_name, as OpenMSIStream names it). */
  producerTopicName: string;
  /** Produce each result once acknowledged, without transactions (for topics or engines without them). */
  atLeastOnce: boolean;
}

/** setTimeout's largest delay: in exactly-once mode a partial file is never staged (its records never settled early). */
const NEVER_STAGE_MS = 2 ** 31 - 1;

/** The in-progress statuses OpenMSIStream's StreamReproducerRegistry writes for a file whose result failed. */
export const REPRODUCER_STATUS = { computingFailed: 'computing_result_message_failed', producingFailed: 'producing_message_failed' } as const;

export abstract class DataFileStreamReproducer extends DataFileStreamProcessor {
  readonly producerTopicName: string;
  readonly atLeastOnce: boolean;
  #results: ResultProducer | undefined;
  /** Results handed to the producer (or to the next transaction), for the heartbeats. */
  readonly #produced = { messages: 0, bytes: 0 };
  static override heartbeatCounters: readonly string[] = REPRODUCER_COUNTERS;
  #transactions: TransactionalResults | undefined;
  /** Set once the pipeline's stages exist: before that, results are of files retried with --retry_failed. */
  #inPipeline = false;

  constructor(args: ParsedArguments | Partial<ReproducerOptions> = {}) {
    super(args);
    const given = 'producer_topic_name' in args ? args.producer_topic_name : (args as Partial<ReproducerOptions>).producerTopicName;
    if (given === undefined || given === '') {
      throw new ConfigError('ERR_INVALID_OPTION', 'a reproducer needs the topic its results go to: --producer_topic_name (producerTopicName)', { option: 'producer_topic_name' });
    }
    this.producerTopicName = topicName(given, 'producer_topic_name');
    this.atLeastOnce = 'at_least_once' in args ? args.at_least_once === true : (args as Partial<ReproducerOptions>).atLeastOnce === true;
  }

  static override getCommandLineArguments(): ArgumentDef[] {
    const topic = KAFKA_ARGUMENTS.find((a) => a.name === 'topic_name')!;
    return [
      ...super.getCommandLineArguments(),
      { ...topic, alias: ['consumer_topic_name'], help: `${topic.help}; the topic the files are read from (also --consumer_topic_name)` },
      { name: 'producer_topic_name', type: 'string', required: true, check: topicName, help: 'the topic the result messages are produced to' },
      { name: 'at_least_once', type: 'boolean', default: false, help: 'produce each result once acknowledged, without transactions (a crash can produce a result twice); for topics, brokers or engines without transactions [default: exactly once]' },
    ];
  }

  static override getUsage(): string {
    return `Usage: ${this.name} [options]\n\nRebuilds every file from a Kafka topic, computes ${this.name}'s result message for it and produces it to --producer_topic_name.\nType q + Enter (or send SIGINT/SIGTERM) to stop gracefully, c + Enter for counts.\n${EXIT_STATUS_HELP}`;
  }

  /** Compute the result message for one rebuilt file; nothing or an Error (or a throw) when it cannot be computed. */
  abstract getProcessingResultMessageForFile(file: DownloadDataFile, lock: Lock): Promise<ResultMessageValue | Error | undefined | null> | ResultMessageValue | Error | undefined | null;

  /** Computes the result and produces it; resolves once the broker acknowledged it. */
  async processDownloadedDataFile(file: DownloadDataFile, lock: Lock): Promise<Error | undefined> {
    const value = await this.computeResult(file, lock);
    if (value instanceof Error) return value;
    await this.#produce(file, value);
    this.#produced.messages++;
    this.#produced.bytes += Buffer.byteLength(value);
    return undefined;
  }

  async #produce(file: DownloadDataFile, value: string | Buffer): Promise<void> {
    if (this.#transactions !== undefined) {
      if (this.#inPipeline) this.#transactions.stash(file, processingResultKey(file), value);
      else await this.#transactions.sendAlone(processingResultKey(file), value);
      return;
    }
    if (this.#results === undefined) throw new ProcessingError('ERR_PRODUCE_FAILED', 'the result producer is not open (run() opens it)', { path: file.relativeFilepath });
    await this.#results.send(processingResultKey(file), value);
  }

  /** The user's result as bytes or text, or a coded ERR_RESULT_NOT_COMPUTED error. */
  async computeResult(file: DownloadDataFile, lock: Lock): Promise<string | Buffer | ProcessingError> {
    let value: unknown;
    try {
      value = await this.getProcessingResultMessageForFile(file, lock);
    } catch (err) {
      return notComputed(file, err instanceof Error ? err.message : String(err), err);
    }
    if (value instanceof Error) return notComputed(file, value.message, value);
    if (value === undefined || value === null) return notComputed(file, 'getProcessingResultMessageForFile returned nothing');
    if (typeof value === 'string') return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return notComputed(file, `getProcessingResultMessageForFile returned a ${typeof value}, not a string or bytes (a MetadataJSONReproducer produces objects as JSON)`);
  }

  protected override consumerRunOptions(): ConsumerRunExtras {
    const transactions = this.#transactions;
    return {
      heartbeatCounts: () => ({ n_messages_produced: this.#produced.messages, n_bytes_produced: this.#produced.bytes }),
      ...(transactions && {
        commitSeam: (parts) => {
          this.#inPipeline = true;
          return transactions.seam(parts);
        },
        stageAfterMs: NEVER_STAGE_MS,
      }),
      registry: {
        processedName: `results_produced_to_${this.producerTopicName}.csv`,
        failedStatus: (reason) => (errorCodeOf(reason) === 'ERR_PRODUCE_FAILED' ? REPRODUCER_STATUS.producingFailed : REPRODUCER_STATUS.computingFailed),
      },
    };
  }

  override async run(signal?: AbortSignal): Promise<ConsumerSummary> {
    const o = this.options;
    this.logger.info(`producing the result of each file read from "${o.topicName}" to "${this.producerTopicName}"`);
    const producer = { config: o.config, topic: this.producerTopicName, logger: this.logger, allowPlaintext: o.allowPlaintext, kafkaEngine: o.kafkaEngine };
    const opened = this.atLeastOnce
      ? (this.#results = await ResultProducer.open(producer))
      : (this.#transactions = await TransactionalResults.open({ ...producer, groupId: o.consumerGroupId, outputDir: o.outputDir }));
    try {
      return await super.run(signal);
    } finally {
      await opened.close();
      this.#results = undefined;
      this.#transactions = undefined;
      this.#inPipeline = false;
    }
  }
}

function notComputed(file: DownloadDataFile, why: string, cause?: unknown): ProcessingError {
  return new ProcessingError('ERR_RESULT_NOT_COMPUTED', `no result message for ${file.relativeFilepath}: ${why}`, { path: file.relativeFilepath }, cause);
}
