/**
 * Runs the consumer pipeline end to end for one topic and group:
 *
 *   KafkaSource -> ChunkAssembler -> DiskSink | MemoryBuffer -> ProcessTransform -> OffsetCommitter
 *
 * composed with `pipeline` and an AbortSignal. It owns what outlives single stages: the kafkajs
 * consumer (connected before the pipeline, disconnected after the last commit), the registry,
 * the offset tracker, `--until_idle`, the console control (`c`, `q`) and signals.
 *
 * Start-up checks come first, each failing at once with one coded error: the output directory
 * can be written (prepareOutputDir), Kafka answers and the topic exists (requireTopic).
 *
 * Stopping by the user (signal, `q`, the AbortSignal) stops fetching and finishes only the files
 * already in processing; what was read ahead (queued in the source, assembled, buffered) is left
 * unsettled, so the committed offsets stay below it and the next run reads it again (except files
 * whose first records the staging journal already released: those are processed, see
 * ProcessTransform). The idle stop (`--until_idle`) drains instead: it fires once every partition
 * was read to its end, not processed, and idle means "done", so everything read is processed
 * before the run ends (a user's stop during that drain makes it prompt). The committer flushes
 * the registry and commits, then the consumer disconnects. Shutdown logs which files it waits
 * for. If that takes longer than `shutdownTimeoutMs`, the pipeline is aborted: unfinished files
 * were never committed either.
 *
 * Errors: the stages report theirs through `pipeline()`. Each stage also keeps an 'error'
 * listener of its own for the whole run, so an error emitted before the pipeline is built or
 * after it ended is logged, never an unhandled 'error' event that kills the process.
 */
import { lstat, rmdir } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Admin, ConsumerConfig } from 'kafkajs';
import type { Stream } from 'node:stream';
import type { Logger } from 'pino';
import { ChunkAssembler } from '../assembler/chunk-assembler.js';
import { DataFileStreamError, errorCodeOf, isCodedError, UnsafePathError } from '../errors.js';
import { kafkaClientOptions, type ConsumerOptions } from '../config/kafka-options.js';
import { requireTopic } from '../kafka/ensure-topic.js';
import { kafkaReachable } from '../kafka/kafka-client.js';
import { kafkaFromConfig } from '../kafka/kafka-from-config.js';
import { stderrProgressLine } from '../log/progress-line.js';
import { OffsetCommitter } from '../offsets/offset-committer.js';
import { OffsetTracker } from '../offsets/offset-tracker.js';
import type { DownloadDataFile, ConsumerMode } from '../download-data-file.js';
import { ProcessTransform, type ProcessFn } from '../processing/process-transform.js';
import { FileRegistry } from '../registry/file-registry.js';
import { DiskSink } from '../sinks/disk-sink.js';
import { STAGING_DIR_NAME } from '../paths/staging-names.js';
import { MemoryBuffer } from '../sinks/memory-buffer.js';
import { StagingJournal } from '../sinks/staging-journal.js';
import { RejectedRecords } from '../registry/rejected-records.js';
import { FailedFiles } from '../processing/failed-files.js';
import { retryFailedFiles } from '../processing/retry-failed.js';
import { KafkaSource } from '../source/kafka-source.js';
import type { FileRef, Settlement } from '../pipeline-events.js';
import { ConsumerStats } from './consumer-stats.js';
import { prepareOutputDir } from './output-dir.js';
import { RetentionGapWatch } from './retention-gaps.js';
import { restoredFrom, resumeStagedElsewhere, stagedMetadata } from './staged-elsewhere.js';

export const CREATE_NEW = 'create_new';

export interface ConsumerRunOptions {
  config: string;
  topic: string;
  /** `create_new` makes a fresh group (restart recovery off). */
  groupId: string;
  outputDir: string;
  mode: ConsumerMode;
  logger: Logger;
  nThreads?: number;
  downloadRegex?: RegExp;
  /** Stop once caught up and idle this many seconds. */
  untilIdle?: number;
  /** Bytes of file data memory mode may hold (default 256 MiB). */
  memoryBudget?: number;
  maxAttempts?: number;
  processTimeoutMs?: number;
  process?: ProcessFn;
  onFailed?: (file: DownloadDataFile, error: Error) => Promise<void> | void;
  /** Process again, before consuming, the files earlier runs recorded as failed. */
  retryFailed?: boolean;
  onMismatchedHash?: (ref: FileRef) => Promise<void> | void;
  signal?: AbortSignal;
  commitIntervalMs?: number;
  /** How long a partial file stays in staging before its records are released (default 5000 ms). */
  stageAfterMs?: number;
  shutdownTimeoutMs?: number;
  /** Read `q`/`c` from stdin and stop on SIGINT/SIGTERM (the programs do; tests may not). */
  interactive?: boolean;
  /** Live progress line on stderr (default: when stderr is a TTY). */
  progress?: boolean;
  /** Read with a `[kafkacrypto]` config anyway, as plaintext (refused otherwise: ERR_ENCRYPTION_UNSUPPORTED). */
  allowPlaintext?: boolean;
  /** With `interactive`: log the counts every this many seconds (OpenMSIStream's --update_seconds). */
  updateSeconds?: number;
}

export interface ConsumerSummary {
  groupId: string;
  stoppedBy: string;
  filesProcessed: number;
  filesFailed: number;
  filesMismatched: number;
  recordsRejected: number;
  recordsRead: number;
  bytesRead: number;
  elapsedMs: number;
}

export async function runConsumer(options: ConsumerRunOptions): Promise<ConsumerSummary> {
  const { logger, topic } = options;
  const started = Date.now();
  const groupId = options.groupId === CREATE_NEW || options.groupId === '' ? `datafile-stream-${randomUUID()}` : options.groupId;
  if (groupId !== options.groupId) {
    logger.warn({ groupId }, 'consumer group "create_new": a fresh group was made, so restart recovery is off; pass --consumer_group_id NAME to resume after a restart');
  }
  prepareOutputDir(options.outputDir);
  await refuseSymlinks(options.outputDir, ['LOGS', STAGING_DIR_NAME]);
  const setup = kafkaFromConfig(options.config, 'consumer', logger, { allowPlaintext: options.allowPlaintext === true });
  const brokerList = kafkaClientOptions(setup.config.sections, 'consumer').brokers;
  const brokers = brokerList.join(',');
  await requireTopic(setup.kafka, topic, brokerList);
  const c = setup.consumer;
  const consumer = setup.kafka.consumer({ groupId, allowAutoTopicCreation: false, ...consumerFetchOptions(c) });
  const admin = setup.kafka.admin();
  try {
    await consumer.connect();
    await admin.connect();
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    throw isCodedError(err) ? err : new DataFileStreamError('ERR_KAFKA_UNREACHABLE', `cannot consume from topic "${topic}": Kafka at ${brokers} stopped answering while connecting (${(err as Error)?.message ?? String(err)})`, { topic }, err);
  }
  // Fetches and joins say Kafka answers again, which ends an outage the kafkajs log reported.
  consumer.on(consumer.events.FETCH, () => kafkaReachable(setup.kafka));
  consumer.on(consumer.events.GROUP_JOIN, () => kafkaReachable(setup.kafka));
  kafkaReachable(setup.kafka);
  const registry = await FileRegistry.open({ dir: options.outputDir, topic, group: groupId });

  const stagingDir = join(options.outputDir, STAGING_DIR_NAME);
  // With a fixed group, partial files survive restarts in staging; create_new never restarts.
  const journal = groupId === options.groupId ? await StagingJournal.open(stagingDir, topic, groupId) : undefined;
  if (journal && journal.restored.length > 0) logger.info({ files: journal.restored.length }, 'resuming partial files from the staging journal');
  // Records deleted by retention while this group was away: names the files that cannot complete.
  const gapWatch = groupId === options.groupId ? await RetentionGapWatch.start({ admin, topic, groupId, registry, logger, started }) : undefined;

  const rejected = await RejectedRecords.open({ dir: options.outputDir, topic, group: groupId });
  const failedFiles = new FailedFiles(stagingDir);
  await failedFiles.load();
  const processFn = options.process ?? (async () => undefined);
  const onFailed = async (file: DownloadDataFile, error: Error, ref?: FileRef): Promise<void> => {
    if (ref) await failedFiles.save(file, ref); // kept for --retry_failed, before it is committed
    await options.onFailed?.(file, error);
  };
  if (options.retryFailed) {
    const { retried, succeeded } = await retryFailedFiles({
      failed: failedFiles, registry, process: processFn, onFailed, mode: options.mode, outputDir: options.outputDir,
      logger, maxAttempts: options.maxAttempts ?? 3,
    });
    logger.info({ retried, succeeded }, 'retried files that failed in earlier runs');
  }

  // Loaded before the stages exist: from the source's construction to pipeline() nothing may wait,
  // or an error the source emits meanwhile would find no pipeline listening.
  const control = options.interactive ? await import('../programs/control-input.js') : undefined;
  const tracker = new OffsetTracker();
  const stats = new ConsumerStats();
  // This member's own staged records, for the partitions it is assigned (journal: after a restart).
  const restored = restoredFrom(journal?.restored ?? []);
  const ownStaged = (partition: number): bigint | undefined => {
    const mine = [sink.stagedFrom().get(partition), restored.get(partition)].filter((x): x is bigint => x !== undefined);
    return mine.length === 0 ? undefined : mine.reduce((a, b) => (a < b ? a : b));
  };
  const source = new KafkaSource({
    consumer,
    topic,
    tracker,
    logger: logger.child({ stage: 'source' }),
    fromBeginning: c.fromBeginning ?? true,
    // Partial files another member staged (and committed past): read them again from there.
    ...(journal && { onAssignment: (partitions: number[]) => void resumeStagedElsewhere({ admin, consumer, topic, groupId, partitions, own: ownStaged, logger }) }),
  });
  const assembler = new ChunkAssembler({
    logger: logger.child({ stage: 'assembler' }),
    // Processed, failed or mismatched before: a re-read tail of such a file is settled at once.
    registry: {
      isProcessed: (relativePath, fileHash) => registry.isProcessed(relativePath, fileHash) || failedFiles.knows(relativePath, fileHash),
      markInProgress: (file) => registry.markInProgress(file),
    },
    ...(options.downloadRegex && { downloadRegex: options.downloadRegex }),
    reservedTopLevel: ['LOGS', STAGING_DIR_NAME],
    ...(journal && { restore: journal.restored }),
  });
  const staging = {
    stagingDir,
    ...(journal && { journal }),
    ...(options.stageAfterMs !== undefined && { stageAfterMs: options.stageAfterMs }),
  };
  const sink =
    options.mode === 'memory'
      ? new MemoryBuffer({ logger: logger.child({ stage: 'memory' }), ...staging, ...(options.memoryBudget !== undefined && { maxBytes: options.memoryBudget }) })
      : new DiskSink({ logger: logger.child({ stage: 'disk' }), outputDir: options.outputDir, ...staging, keepInMemory: options.mode === 'both' });
  const abort = new AbortController();
  const processing = new ProcessTransform({
    logger: logger.child({ stage: 'process' }),
    process: processFn,
    nThreads: options.nThreads ?? 2,
    maxAttempts: options.maxAttempts ?? 3,
    signal: abort.signal,
    ...(options.processTimeoutMs !== undefined && { timeoutMs: options.processTimeoutMs }),
    onFailed,
  });
  const committer = new OffsetCommitter({
    tracker,
    registry,
    rejected,
    logger: logger.child({ stage: 'commit' }),
    intervalMs: options.commitIntervalMs ?? 1000,
    // The metadata says where partial files staged here begin, for a member taking a partition over.
    commit: (offsets) => consumer.commitOffsets(offsets.map((o) => ({ ...o, metadata: stagedMetadata(sink.stagedFrom().get(o.partition), o.offset) }))),
    onSettled: async (s: Settlement) => {
      stats.record(s);
      if (s.outcome === 'mismatched_hash' && s.file) {
        await failedFiles.saveMismatched(s.file);
        await options.onMismatchedHash?.(s.file);
      }
    },
  });

  let stoppedBy = 'end of input';
  let stopping: Promise<void> | undefined;
  let prompt = false;
  /** From now on only the files in processing finish; the read-ahead is left to the next run. */
  const finishProcessingOnly = (): Promise<void> => {
    prompt = true;
    // Processing first: a file that reaches it while the source stops is read-ahead, not started.
    const processed = processing.stop();
    return Promise.all([source.stop(), processed]).then(() => undefined);
  };
  const stop = (reason: string): Promise<void> => {
    const drain = reason === 'idle';
    if (stopping) {
      // A user's stop during the idle drain: do not make them wait for the whole read-ahead.
      if (!drain && !prompt) {
        logger.info({ reason }, 'stopping now: finishing only the files in processing (what was read ahead is read again next run)');
        void finishProcessingOnly().catch(() => undefined);
      }
      return stopping;
    }
    stoppedBy = reason;
    if (drain) logger.info({ reason }, 'stopping: no more fetching; processing everything that was read');
    else logger.info({ reason }, 'stopping: no more fetching; finishing the files in processing (what was read ahead is read again next run)');
    const deadline = setTimeout(() => {
      logger.warn('shutdown timeout: abandoning unfinished work (it was not committed and will be read again)');
      abort.abort();
    }, options.shutdownTimeoutMs ?? 30_000);
    deadline.unref();
    const waiting = (): void => {
      const paths = processing.inProcessing;
      if (paths.length > 0) logger.info({ files: paths.length }, `waiting for ${paths.length} file${paths.length === 1 ? '' : 's'} in processing: ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', ...' : ''}`);
    };
    waiting();
    const reminder = setInterval(waiting, 5000);
    reminder.unref();
    stopping = (drain ? source.stop({ drain: true }) : finishProcessingOnly()).then(
      () => clearInterval(reminder),
      (err: unknown) => {
        clearInterval(reminder);
        logger.debug({ err }, 'stopping the source failed');
      },
    );
    return stopping;
  };
  options.signal?.addEventListener('abort', () => void stop('aborted'), { once: true });
  const stages: Stream[] = [source, assembler, sink, processing, committer];
  let pipelineRunning = true;
  for (const stage of stages) {
    stage.on('error', (err: unknown) => {
      if (!pipelineRunning) logger.error({ err, code: errorCodeOf(err) }, `a consumer stage failed outside the pipeline: ${(err as Error)?.message ?? String(err)}`);
    });
  }
  const done = pipeline(source, assembler, sink, processing, committer, { signal: abort.signal }).finally(() => (pipelineRunning = false));

  const disposeControl = control
    ? control.listenForControl({
        stop: (reason) => void stop(reason),
        check: () => stats.describe({ recordsRead: source.recordsRead, inProgress: assembler.openFiles + processing.inProgress, openPaths: assembler.openFilePaths() }),
        ...(options.updateSeconds !== undefined && { updateSeconds: options.updateSeconds, update: (counts: string) => logger.info(counts) }),
      })
    : () => undefined;

  const watcher = setInterval(() => {
    gapWatch?.poll({
      nextOffset: (partition) => assembler.nextOffset(partition),
      quietForMs: source.quietFor,
      abandon: (path, error) => assembler.abandonFile(path, error),
      markFailed: (entry, error) => registry.markFailed({ ...entry, nTotalChunks: entry.nChunks }, error),
    });
    if (options.progress ?? process.stderr.isTTY) {
      stderrProgressLine().update(stats.progressLine({ bytesRead: source.bytesRead, inProgress: assembler.openFiles + processing.inProgress }));
    }
    if (options.untilIdle === undefined || stopping || gapWatch?.pending) return;
    // Idle: nothing new for a while, nothing being processed, and every partition read to its
    // end (here) or committed to its end (by the group). Files still missing chunks do not keep the program alive (they are staged,
    // or read again next time).
    const quiet = source.quietFor >= options.untilIdle * 1000;
    if (!quiet || processing.inProgress > 0) return;
    readToEnd(admin, topic, groupId, source)
      .then((yes) => {
        if (yes) void stop('idle');
      })
      .catch((err: unknown) => logger.debug({ err }, 'lag check failed'));
  }, 500);

  let failure: unknown;
  try {
    await done;
  } catch (err) {
    if (!abort.signal.aborted) {
      failure = err;
      logger.error({ err, code: errorCodeOf(err) }, `consumer stopped on an error: ${(err as Error)?.message ?? String(err)}`);
    }
  } finally {
    clearInterval(watcher);
    if (options.progress ?? process.stderr.isTTY) stderrProgressLine().done();
    disposeControl();
    await committer.commitNow().catch(() => undefined);
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await registry.close().catch((err: unknown) => logger.error({ err }, 'registry close failed'));
    await journal?.close();
    await rejected.close().catch(() => undefined);
    await rmdir(stagingDir).catch(() => undefined); // only when empty
  }
  if (failure) throw failure;
  const summary: ConsumerSummary = {
    groupId,
    stoppedBy,
    ...stats.totals(),
    recordsRead: source.recordsRead,
    bytesRead: source.bytesRead,
    elapsedMs: Date.now() - started,
  };
  logger.info(summary, 'consumer finished');
  return summary;
}

/**
 * The kafkajs consumer settings a config file's [consumer] section gives (group and timeouts
 * aside from the group id), with this toolkit's defaults. Exported so the benchmark's raw
 * kafkajs consume runs with exactly the settings the pipeline runs with.
 */
export function consumerFetchOptions(c: ConsumerOptions): Partial<ConsumerConfig> {
  return {
    // 10 s (kafkajs: 30 s): a restart after a crash waits this long for the dead member's
    // partitions. Heartbeats go on while the pipeline is busy, so a short timeout is safe.
    sessionTimeout: c.sessionTimeout ?? 10_000,
    ...(c.heartbeatInterval !== undefined && { heartbeatInterval: c.heartbeatInterval }),
    ...(c.rebalanceTimeout !== undefined && { rebalanceTimeout: c.rebalanceTimeout }),
    ...(c.maxBytesPerPartition !== undefined && { maxBytesPerPartition: c.maxBytesPerPartition }),
    ...(c.maxBytes !== undefined && { maxBytes: c.maxBytes }),
    ...(c.minBytes !== undefined && { minBytes: c.minBytes }),
    // librdkafka's fetch.wait.max.ms default (kafkajs waits 5 s, which slows every start).
    maxWaitTimeInMs: c.maxWaitTimeInMs ?? 500,
  };
}

/** The program's own directories must be real directories inside the output directory. */
async function refuseSymlinks(outputDir: string, names: string[]): Promise<void> {
  for (const name of names) {
    const info = await lstat(join(outputDir, name)).catch(() => undefined);
    if (info?.isSymbolicLink()) {
      throw new UnsafePathError('ERR_UNSAFE_PATH', `${join(outputDir, name)} is a symlink; refusing to write through it`, { path: join(outputDir, name) });
    }
  }
}

/**
 * True when the group is done with the topic as far as this member can tell: every partition
 * assigned here was read to its end, and every other partition is committed to its end. A
 * partition held by another member (or by a killed one whose session has not expired yet) keeps
 * the program waiting, since its records may complete files this member is assembling.
 */
async function readToEnd(admin: Admin, topic: string, groupId: string, source: KafkaSource): Promise<boolean> {
  const assigned = new Set(source.assignedPartitions);
  if (assigned.size === 0) return false;
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  for (const end of ends) {
    const groupAt = byPartition.get(end.partition) ?? -1n;
    const position = assigned.has(end.partition) ? (source.nextOffset(end.partition) ?? groupAt) : groupAt;
    const start = position < 0n ? BigInt(end.low) : position;
    if (start < BigInt(end.high)) return false;
  }
  return true;
}
