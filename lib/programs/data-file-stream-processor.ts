/**
 * DataFileStreamProcessor: the seed's base class for code that runs on every file of a topic.
 *
 *   class MyProcessor extends DataFileStreamProcessor {
 *     async processDownloadedDataFile(file, lock) { ...; return undefined; }  // or an Error
 *   }
 *
 * It is a Runnable: `MyProcessor.runFromCommandLine()` parses the arguments below (a subclass
 * extends `getCommandLineArguments()`), builds the consumer pipeline, runs it until stopped or
 * idle, and resolves to an exit code. `lock` is one mutex shared by all concurrent calls.
 */
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { logLevel, nonNegativeSeconds, oneOf, positiveSeconds, regularExpression, topicName } from '../config/option-values.js';
import { loadConfig } from '../config/config-file.js';
import { consumerGroupId } from '../config/kafka-options.js';
import { checkMaxAttempts, checkNThreads, PROCESS_TRANSFORM_DEFAULTS } from '../processing/process-transform-options.js';
import { checkMaxMebibytes, MEBIBYTE, MEMORY_BUFFER_DEFAULTS } from '../sinks/memory-buffer-options.js';
import { createLogger } from '../log/create-logger.js';
import { runConsumer, type ConsumerRunOptions, type ConsumerSummary } from './run-consumer.js';
import { prepareOutputDir } from '../pipeline/output-dir.js';
import type { FileRef } from '../pipeline-events.js';
import { Runnable, UPDATE_SECONDS_ARGUMENT, type ArgumentDef, type ParsedArguments } from './runnable.js';
import { DEFAULT_TOPIC, KAFKA_ARGUMENTS } from './kafka-arguments.js';
import { EXIT_STATUS_HELP, exitCodeOfRun } from '../exit-codes.js';
import { DownloadDataFile, type ConsumerMode } from '../download-data-file.js';
import { createLock, type Lock } from '../processing/lock.js';

export interface ProcessorOptions {
  config: string;
  /** Default `test` (OpenMSIStream's), which is logged at start-up. */
  topicName: string;
  /** The flag's, else the config's `group.id`, else `create_new` (consumerGroupId in lib/config/kafka-options.ts). */
  consumerGroupId: string;
  outputDir: string;
  mode: ConsumerMode;
  nThreads: number;
  downloadRegex?: RegExp;
  untilIdle?: number;
  maxAttempts: number;
  processTimeout?: number;
  memoryBudgetMb: number;
  /** Process again, before consuming, files that failed in earlier runs. */
  retryFailed: boolean;
  loggerStreamLevel: string;
  loggerFileLevel: string;
  loggerFilePath?: string;
  /** Log the counts every this many seconds (OpenMSIStream's --update_seconds; <= 0: never). */
  updateSeconds?: number;
  /** Log file lines as readable text (default) or JSON. */
  loggerFileFormat: 'text' | 'json';
  /** Run with a config that asks for KafkaCrypto encryption, reading plaintext on purpose. */
  allowPlaintext: boolean;
  /** The Kafka client library (--kafka_engine): librdkafka or kafkajs; default from the config or environment. */
  kafkaEngine?: string;
  /** Read q/c from stdin and handle SIGINT/SIGTERM (true for programs, false for library use). */
  interactive: boolean;
}

const MODES = ['memory', 'disk', 'both'] as const;

/** The consumer-run options a subclass may set (consumerRunOptions()). */
export type ConsumerRunExtras = Partial<Pick<ConsumerRunOptions, 'registry' | 'commitSeam' | 'stageAfterMs' | 'heartbeatCounts'>>;

export abstract class DataFileStreamProcessor extends Runnable {
  readonly options: ProcessorOptions;
  readonly lock: Lock = createLock();
  readonly logger: Logger;
  /** Extra parsed arguments a subclass defined, by their snake_case names. */
  readonly args: ParsedArguments;

  constructor(args: ParsedArguments | Partial<ProcessorOptions> = {}) {
    super();
    this.args = isParsed(args) ? args : {};
    this.options = isParsed(args) ? optionsFromArguments(args, new.target.name) : withDefaults(args as Partial<ProcessorOptions>, new.target.name);
    // Before the log file is opened under it: a path that is a file or cannot be written is one coded error.
    prepareOutputDir(this.options.outputDir);
    this.logger = createLogger({
      name: new.target.name,
      streamLevel: this.options.loggerStreamLevel,
      fileLevel: this.options.loggerFileLevel,
      fileFormat: this.options.loggerFileFormat,
      filePath: this.options.loggerFilePath ?? join(this.options.outputDir, 'LOGS', `${new.target.name}.log`),
    });
    const topicGiven = isParsed(args) ? args.topic_name !== undefined : (args as Partial<ProcessorOptions>).topicName !== undefined;
    if (!topicGiven) this.logger.info(`no --topic_name given: using topic "${DEFAULT_TOPIC}" (OpenMSIStream's default)`);
  }

  static override getCommandLineArguments(): ArgumentDef[] {
    return [
      ...KAFKA_ARGUMENTS,
      { name: 'consumer_group_id', type: 'string', help: "consumer group; a fixed name is needed to resume after a restart [default: the config's group.id, else create_new]" },
      { name: 'output_dir', type: 'string', help: 'where files, LOGS/ and the registry go [default: ./<ClassName>_output]' },
      { name: 'mode', type: 'string', default: 'memory', choices: MODES, help: 'hold files in memory, write them to output_dir, or both' },
      { name: 'n_threads', type: 'number', default: PROCESS_TRANSFORM_DEFAULTS.nThreads, check: checkNThreads, alias: ['n_consumer_threads'], help: 'files processed at once' },
      { name: 'download_regex', type: 'string', help: 'only files whose relative path matches are processed' },
      { name: 'until_idle', type: 'number', check: nonNegativeSeconds, help: 'stop once caught up and idle for this many seconds' },
      { name: 'max_attempts', type: 'number', default: PROCESS_TRANSFORM_DEFAULTS.maxAttempts, check: checkMaxAttempts, help: 'processing attempts per file before it is recorded as failed' },
      { name: 'process_timeout', type: 'number', check: positiveSeconds, help: 'seconds one processing attempt may take' },
      { name: 'memory_budget', type: 'number', default: MEMORY_BUFFER_DEFAULTS.maxBytes / MEBIBYTE, check: checkMaxMebibytes, help: 'MiB memory mode holds: files, and a quarter (at most 64 MiB) kept for records in flight; a file that does not fit is assembled in disk staging and handed over by path' },
      { name: 'retry_failed', type: 'boolean', default: false, help: 'first process again the files earlier runs recorded as failed' },
      UPDATE_SECONDS_ARGUMENT,
      ...super.getCommandLineArguments(),
    ];
  }

  static override getUsage(): string {
    return `Usage: ${this.name} [options]\n\nRuns ${this.name} on every file reconstructed from a Kafka topic.\nType q + Enter (or send SIGINT/SIGTERM) to stop gracefully, c + Enter for counts.\n${EXIT_STATUS_HELP}`;
  }

  /** Process one reconstructed file; return undefined/null on success or an Error. */
  abstract processDownloadedDataFile(file: DownloadDataFile, lock: Lock): Promise<Error | undefined | null | void>;

  /** Called once a file failed every attempt. */
  async failedProcessingCallback(file: DownloadDataFile, _lock: Lock): Promise<void> {
    this.logger.error({ file: file.relativeFilepath }, 'file failed processing and was recorded as failed');
  }

  /** Called when a reconstructed file did not match its hash (it is never processed). */
  async mismatchedHashCallback(file: DownloadDataFile, _lock: Lock): Promise<void> {
    this.logger.warn({ file: file.relativeFilepath }, 'file did not match its hash and was skipped');
  }

  /** What a subclass adds to or changes in the consumer run (a reproducer: its registry table, its commit). */
  protected consumerRunOptions(): ConsumerRunExtras {
    return {};
  }

  /** Runs until stopped, idle (`untilIdle`) or `signal` aborts. */
  async run(signal?: AbortSignal): Promise<ConsumerSummary> {
    const o = this.options;
    return runConsumer({
      config: o.config,
      topic: o.topicName,
      groupId: o.consumerGroupId,
      outputDir: o.outputDir,
      mode: o.mode,
      logger: this.logger,
      nThreads: o.nThreads,
      maxAttempts: o.maxAttempts,
      memoryBudget: o.memoryBudgetMb * 1024 * 1024,
      interactive: o.interactive,
      retryFailed: o.retryFailed,
      allowPlaintext: o.allowPlaintext,
      ...(o.kafkaEngine !== undefined && { kafkaEngine: o.kafkaEngine }),
      ...(o.updateSeconds !== undefined && { updateSeconds: o.updateSeconds }),
      ...(o.downloadRegex && { downloadRegex: o.downloadRegex }),
      ...(o.untilIdle !== undefined && { untilIdle: o.untilIdle }),
      ...(o.processTimeout !== undefined && { processTimeoutMs: o.processTimeout * 1000 }),
      ...(signal && { signal }),
      process: (file) => this.processDownloadedDataFile(file, this.lock),
      onFailed: (file) => this.failedProcessingCallback(file, this.lock),
      onMismatchedHash: (ref) => this.mismatchedHashCallback(fileOfRef(ref), this.lock),
      ...this.consumerRunOptions(),
    });
  }

  /** Runs to the end and resolves to the exit status (lib/exit-codes.ts): nonzero when files failed, were mismatched or records were rejected. */
  async runMain(): Promise<number> {
    const summary = await this.run();
    process.stdout.write(
      `${this.constructor.name}: ${summary.filesProcessed} files processed, ${summary.filesFailed} failed, ${summary.filesMismatched} mismatched, ${summary.recordsRejected} bad records, ${summary.recordsRead} messages read (stopped by ${summary.stoppedBy})\n`,
    );
    return exitCodeOfRun({ stoppedBy: summary.stoppedBy, failures: summary.filesFailed + summary.filesMismatched + summary.recordsRejected });
  }
}

function fileOfRef(ref: FileRef): DownloadDataFile {
  return DownloadDataFile.fromRef(ref, { size: 0, data: Buffer.alloc(0) });
}

function isParsed(args: object): args is ParsedArguments {
  return 'topic_name' in args || 'consumer_group_id' in args || 'help' in args;
}

function optionsFromArguments(a: ParsedArguments, className: string): ProcessorOptions {
  const downloadRegex = a.download_regex !== undefined && a.download_regex !== '' ? regularExpression(a.download_regex, 'download_regex') : undefined;
  return withDefaults(
    {
      config: String(a.config ?? 'local'),
      ...(a.topic_name !== undefined && { topicName: String(a.topic_name) }),
      ...(a.consumer_group_id !== undefined && { consumerGroupId: String(a.consumer_group_id) }),
      ...(a.output_dir !== undefined && { outputDir: String(a.output_dir) }),
      mode: String(a.mode ?? 'memory') as ConsumerMode,
      ...(a.n_threads !== undefined && { nThreads: Number(a.n_threads) }),
      ...(downloadRegex && { downloadRegex }),
      ...(a.until_idle !== undefined && { untilIdle: Number(a.until_idle) }),
      ...(a.max_attempts !== undefined && { maxAttempts: Number(a.max_attempts) }),
      ...(a.process_timeout !== undefined && { processTimeout: Number(a.process_timeout) }),
      ...(a.memory_budget !== undefined && { memoryBudgetMb: Number(a.memory_budget) }),
      retryFailed: a.retry_failed === true,
      loggerStreamLevel: String(a.logger_stream_level ?? 'info'),
      loggerFileLevel: String(a.logger_file_level ?? 'warning'),
      ...(a.logger_file_path !== undefined && { loggerFilePath: String(a.logger_file_path) }),
      loggerFileFormat: a.logger_file_format === 'json' ? 'json' : 'text',
      ...(typeof a.update_seconds === 'number' && a.update_seconds > 0 && { updateSeconds: a.update_seconds }),
      allowPlaintext: a.allow_plaintext === true,
      ...(typeof a.kafka_engine === 'string' && { kafkaEngine: a.kafka_engine }),
      interactive: true,
    },
    className,
  );
}

function withDefaults(o: Partial<ProcessorOptions>, className: string): ProcessorOptions {
  const options: ProcessorOptions = {
    config: 'local',
    topicName: DEFAULT_TOPIC,
    mode: 'memory',
    // The stages' own defaults (lib/processing, lib/sinks *-options.ts), written nowhere else.
    nThreads: PROCESS_TRANSFORM_DEFAULTS.nThreads,
    maxAttempts: PROCESS_TRANSFORM_DEFAULTS.maxAttempts,
    memoryBudgetMb: MEMORY_BUFFER_DEFAULTS.maxBytes / MEBIBYTE,
    retryFailed: false,
    loggerStreamLevel: 'info',
    loggerFileLevel: 'warning',
    loggerFileFormat: 'text',
    allowPlaintext: false,
    interactive: false,
    ...o,
    consumerGroupId: o.consumerGroupId ?? consumerGroupId(loadConfig(o.config ?? 'local').sections),
    outputDir: resolve(o.outputDir ?? `${className}_output`),
  };
  // The same checks as the command line's (the stages' own), so the library entry refuses what the flags refuse.
  topicName(options.topicName, 'topic_name');
  checkNThreads(options.nThreads, 'n_threads');
  checkMaxAttempts(options.maxAttempts, 'max_attempts');
  checkMaxMebibytes(options.memoryBudgetMb, 'memory_budget');
  oneOf(MODES)(options.mode, 'mode');
  logLevel(options.loggerStreamLevel, 'logger_stream_level');
  logLevel(options.loggerFileLevel, 'logger_file_level');
  if (options.untilIdle !== undefined) nonNegativeSeconds(options.untilIdle, 'until_idle');
  if (options.processTimeout !== undefined) positiveSeconds(options.processTimeout, 'process_timeout');
  return options;
}
