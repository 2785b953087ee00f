/**
 * Builds the five stages over the shared parts, wired the way the guarantees need:
 * the assembler settles at once a re-read tail of a file processed, failed or mismatched before;
 * the source re-reads partial files another member staged (and committed past); each commit
 * carries, in its metadata, where the partial files staged here begin. On disk, chunks are
 * verified by their file's hash (one SHA-512 pass instead of two): a chunk is checked against its
 * own hash only when its file's hash fails, and the assembler then takes the file back, without
 * its bad chunks, to wait for good copies. In memory, each chunk is verified as it arrives.
 */
import type { Logger } from 'pino';
import { ChunkAssembler } from '../assembler/chunk-assembler.js';
import type { DownloadDataFile } from '../download-data-file.js';
import type { FileRef, Settlement } from '../pipeline-events.js';
import { ProcessTransform } from '../processing/process-transform.js';
import { DiskSink } from '../sinks/disk-sink.js';
import { MemoryBuffer } from '../sinks/memory-buffer.js';
import { fileBytesOfBudget, MEMORY_BUFFER_DEFAULTS } from '../sinks/memory-buffer-options.js';
import { KafkaSource } from '../source/kafka-source.js';
import { ClosingCommitter } from './closing-committer.js';
import type { ConnectedConsumer } from './connect-consumer.js';
import { RESERVED_TOP_LEVEL } from './connect-consumer.js';
import type { ConsumerPipelineOptions } from './consumer-pipeline-options.js';
import type { SharedParts } from './shared-parts.js';
import { restoredFrom, resumeStagedElsewhere, stagedMetadata } from './staged-elsewhere.js';

export interface CoreStages {
  source: KafkaSource;
  assembler: ChunkAssembler;
  sink: DiskSink | MemoryBuffer;
  processing: ProcessTransform;
  committer: ClosingCommitter;
}

export interface StageHooks {
  /** Aborts the processing's retries at the shutdown timeout. */
  abortSignal: AbortSignal;
  onSettled: (s: Settlement) => Promise<void>;
  close: () => Promise<void>;
}

export function buildStages(o: ConsumerPipelineOptions, c: ConnectedConsumer, s: SharedParts, hooks: StageHooks): CoreStages {
  const { logger, topic } = o;
  const { journal, registry, failedFiles } = s;
  const source = new KafkaSource({
    consumer: c.consumer,
    topic,
    tracker: s.tracker,
    logger: logger.child({ stage: 'source' }),
    fromBeginning: c.fromBeginning,
    decode: { verifyHash: o.mode === 'memory' },
    // Partial files another member staged (and committed past): read them again from there.
    ...(journal && { onAssignment: (partitions: number[]) => void resumeStagedElsewhere({ admin: c.admin, consumer: c.consumer, topic, groupId: c.groupId, partitions, own: ownStaged, logger }) }),
  });
  const assembler = new ChunkAssembler({
    logger: logger.child({ stage: 'assembler' }),
    registry: {
      isProcessed: (relativePath, fileHash) => registry.isProcessed(relativePath, fileHash) || failedFiles.knows(relativePath, fileHash),
      markInProgress: (file) => registry.markInProgress(file),
    },
    ...(o.downloadRegex && { downloadRegex: o.downloadRegex }),
    reservedTopLevel: RESERVED_TOP_LEVEL,
    ...(journal && { restore: journal.restored }),
    verdictsFromSink: o.mode !== 'memory',
  });
  const sink = buildSink(o, s, logger, assembler);
  // This member's own staged records, for the partitions it is assigned (journal: after a restart).
  const restored = restoredFrom(journal?.restored ?? []);
  function ownStaged(partition: number): bigint | undefined {
    const mine = [sink.stagedFrom().get(partition), restored.get(partition)].filter((x): x is bigint => x !== undefined);
    return mine.length === 0 ? undefined : mine.reduce((a, b) => (a < b ? a : b));
  }
  const processing = new ProcessTransform({
    logger: logger.child({ stage: 'process' }),
    process: o.process ?? (async () => undefined),
    nThreads: o.nThreads,
    maxAttempts: o.maxAttempts,
    signal: hooks.abortSignal,
    ...(o.processTimeoutMs !== undefined && { timeoutMs: o.processTimeoutMs }),
    onFailed: failedHandler(o, s),
  });
  const seam = o.commitSeam?.({ registry, tracker: s.tracker, groupId: c.groupId, consumer: c.consumer });
  const committer = new ClosingCommitter(
    {
      tracker: s.tracker,
      registry,
      rejected: s.rejected,
      logger: logger.child({ stage: 'commit' }),
      ...(o.commitIntervalMs !== undefined && { intervalMs: o.commitIntervalMs }),
      commit: seam?.commit ?? ((offsets) => c.consumer.commitOffsets(offsets.map((x) => ({ ...x, metadata: stagedMetadata(sink.stagedFrom().get(x.partition), x.offset) })))),
      ...(seam && { onProcessed: seam.onProcessed }),
      onSettled: hooks.onSettled,
    },
    hooks.close,
  );
  return { source, assembler, sink, processing, committer };
}

function buildSink(o: ConsumerPipelineOptions, s: SharedParts, logger: Logger, assembler: ChunkAssembler): DiskSink | MemoryBuffer {
  const staging = {
    stagingDir: s.stagingDir,
    ...(s.journal && { journal: s.journal }),
    ...(o.stageAfterMs !== undefined && { stageAfterMs: o.stageAfterMs }),
  };
  return o.mode === 'memory'
    ? new MemoryBuffer({ logger: logger.child({ stage: 'memory' }), ...staging, maxBytes: fileBytesOfBudget(o.memoryBudget ?? MEMORY_BUFFER_DEFAULTS.maxBytes) })
    : new DiskSink({
        logger: logger.child({ stage: 'disk' }),
        outputDir: o.outputDir,
        ...staging,
        keepInMemory: o.mode === 'both',
        verdicts: assembler,
      });
}

/** A file failed for good: kept for `retryFailed` before it is committed, then the app is told. */
export function failedHandler(o: ConsumerPipelineOptions, s: SharedParts) {
  return async (file: DownloadDataFile, error: Error, ref?: FileRef): Promise<void> => {
    if (ref) await s.failedFiles.save(file, ref);
    await o.onFailed?.(file, error);
  };
}
