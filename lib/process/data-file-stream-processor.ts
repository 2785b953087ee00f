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
import { ConfigError } from '../errors.js';
import { createLogger } from '../log/create-logger.js';
import { CREATE_NEW, runConsumer, type ConsumerSummary } from '../consumer/run-consumer.js';
import type { FileRef } from '../consumer/pipeline-events.js';
import { Runnable, type ArgumentDef, type ParsedArguments } from '../cli/runnable.js';
import { KAFKA_ARGUMENTS } from '../cli/commands/upload-options.js';
import { DownloadDataFile, type ConsumerMode } from './download-data-file.js';
import { createLock, type Lock } from './lock.js';

export interface ProcessorOptions {
  config: string;
  topicName: string;
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
  /** Read q/c from stdin and handle SIGINT/SIGTERM (true for programs, false for library use). */
  interactive: boolean;
}

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
    this.logger = createLogger({
      name: new.target.name,
      streamLevel: this.options.loggerStreamLevel,
      fileLevel: this.options.loggerFileLevel,
      filePath: this.options.loggerFilePath ?? join(this.options.outputDir, 'LOGS', `${new.target.name}.log`),
    });
  }

  static override getCommandLineArguments(): ArgumentDef[] {
    return [
      ...KAFKA_ARGUMENTS,
      { name: 'consumer_group_id', type: 'string', default: CREATE_NEW, help: 'consumer group; a fixed name is needed to resume after a restart' },
      { name: 'output_dir', type: 'string', help: 'where files, LOGS/ and the registry go [default: ./<ClassName>_output]' },
      { name: 'mode', type: 'string', default: 'memory', choices: ['memory', 'disk', 'both'], help: 'hold files in memory, write them to output_dir, or both' },
      { name: 'n_threads', type: 'number', default: 2, help: 'files processed at once' },
      { name: 'download_regex', type: 'string', help: 'only files whose relative path matches are processed' },
      { name: 'until_idle', type: 'number', help: 'exit 0 once caught up and idle for this many seconds' },
      { name: 'max_attempts', type: 'number', default: 3, help: 'processing attempts per file before it is recorded as failed' },
      { name: 'process_timeout', type: 'number', help: 'seconds one processing attempt may take' },
      { name: 'memory_budget', type: 'number', default: 256, help: 'MiB of file data memory mode holds; a file that does not fit is assembled in disk staging and handed over by path' },
      { name: 'retry_failed', type: 'boolean', default: false, help: 'first process again the files earlier runs recorded as failed' },
      ...super.getCommandLineArguments(),
    ];
  }

  static override getUsage(): string {
    return `Usage: ${this.name} [options]\n\nRuns ${this.name} on every file reconstructed from a Kafka topic.\nType q + Enter (or send SIGINT/SIGTERM) to stop gracefully, c + Enter for counts.`;
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
      ...(o.downloadRegex && { downloadRegex: o.downloadRegex }),
      ...(o.untilIdle !== undefined && { untilIdle: o.untilIdle }),
      ...(o.processTimeout !== undefined && { processTimeoutMs: o.processTimeout * 1000 }),
      ...(signal && { signal }),
      process: (file) => this.processDownloadedDataFile(file, this.lock),
      onFailed: (file) => this.failedProcessingCallback(file, this.lock),
      onMismatchedHash: (ref) => this.mismatchedHashCallback(fileOfRef(ref), this.lock),
    });
  }

  async runMain(): Promise<number> {
    const summary = await this.run();
    process.stdout.write(
      `${this.constructor.name}: ${summary.filesProcessed} files processed, ${summary.filesFailed} failed, ${summary.filesMismatched} mismatched, ${summary.recordsRejected} bad records, ${summary.recordsRead} messages read (stopped by ${summary.stoppedBy})\n`,
    );
    return 0;
  }
}

function fileOfRef(ref: FileRef): DownloadDataFile {
  return DownloadDataFile.fromRef(ref, { size: 0, data: Buffer.alloc(0) });
}

function isParsed(args: object): args is ParsedArguments {
  return 'topic_name' in args || 'consumer_group_id' in args || 'help' in args;
}

function optionsFromArguments(a: ParsedArguments, className: string): ProcessorOptions {
  let downloadRegex: RegExp | undefined;
  if (a.download_regex !== undefined && a.download_regex !== '') {
    try {
      downloadRegex = new RegExp(String(a.download_regex));
    } catch (err) {
      throw new ConfigError('ERR_INVALID_ARGUMENT', `--download_regex is not a valid regular expression: ${(err as Error).message}`, { option: 'download_regex' });
    }
  }
  return withDefaults(
    {
      config: String(a.config ?? 'local'),
      topicName: String(a.topic_name ?? 'test'),
      consumerGroupId: String(a.consumer_group_id ?? CREATE_NEW),
      ...(a.output_dir !== undefined && { outputDir: String(a.output_dir) }),
      mode: String(a.mode ?? 'memory') as ConsumerMode,
      nThreads: Number(a.n_threads ?? 2),
      ...(downloadRegex && { downloadRegex }),
      ...(a.until_idle !== undefined && { untilIdle: Number(a.until_idle) }),
      maxAttempts: Number(a.max_attempts ?? 3),
      ...(a.process_timeout !== undefined && { processTimeout: Number(a.process_timeout) }),
      memoryBudgetMb: Number(a.memory_budget ?? 256),
      retryFailed: a.retry_failed === true,
      loggerStreamLevel: String(a.logger_stream_level ?? 'info'),
      loggerFileLevel: String(a.logger_file_level ?? 'warning'),
      ...(a.logger_file_path !== undefined && { loggerFilePath: String(a.logger_file_path) }),
      interactive: true,
    },
    className,
  );
}

function withDefaults(o: Partial<ProcessorOptions>, className: string): ProcessorOptions {
  const options: ProcessorOptions = {
    config: 'local',
    topicName: 'test',
    consumerGroupId: CREATE_NEW,
    mode: 'memory',
    nThreads: 2,
    maxAttempts: 3,
    memoryBudgetMb: 256,
    retryFailed: false,
    loggerStreamLevel: 'info',
    loggerFileLevel: 'warning',
    interactive: false,
    ...o,
    outputDir: resolve(o.outputDir ?? `${className}_output`),
  };
  for (const [name, value] of [['n_threads', options.nThreads], ['max_attempts', options.maxAttempts]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new ConfigError('ERR_INVALID_ARGUMENT', `--${name} must be a positive integer, got ${value}`, { option: name });
  }
  if (!['memory', 'disk', 'both'].includes(options.mode)) throw new ConfigError('ERR_INVALID_ARGUMENT', `--mode must be memory, disk or both, got ${options.mode}`, { option: 'mode' });
  return options;
}
