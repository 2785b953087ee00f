/**
 * createConsumerPipeline: the composer. It runs the start-up checks, connects the consumer,
 * opens the shared parts and returns the ordered stages
 *
 *   KafkaSource -> ChunkAssembler -> DiskSink | MemoryBuffer -> [the app's stages]
 *     -> ProcessTransform -> OffsetCommitter
 *
 * so that `await pipeline(p.stages)` (node:stream/promises) runs with every guarantee the
 * programs have: a record is committed only once its file is processed and recorded in the
 * registry (or failed, skipped, rejected for good), partial files survive a restart in the
 * journal, records lost to retention are named. When the pipeline ends, however it ends, the
 * last stage makes the last commit and closes the consumer, registry, journal and rejected-records
 * file before `pipeline()` settles (ClosingCommitter). `close()` is for a pipeline never run.
 *
 * Stopping: `options.signal` (or `p.stop(reason)`) stops gracefully and `pipeline()` resolves;
 * `untilIdle` stops once the topic is done (pipeline-stopper.ts has the rules). Do not pass a
 * signal to `pipeline()` itself: that destroys the stages at once, a crash as far as the
 * guarantees are concerned (nothing unfinished is committed, so nothing is lost either).
 *
 * Errors: start-up checks throw one coded error each (connect-consumer.ts). During the run the
 * stages report theirs through `pipeline()`; each stage also keeps an 'error' listener so an
 * error emitted before `pipeline()` is called or after it ended is logged, not an unhandled event.
 */
import type { Readable, Writable } from 'node:stream';
import { DataFileStreamError, errorCodeOf } from '../errors.js';
import type { Settlement } from '../pipeline-events.js';
import { retryFailedFiles } from '../processing/retry-failed.js';
import { registryFile } from '../registry/file-registry.js';
import { buildStages, failedHandler, type CoreStages } from './build-stages.js';
import { connectConsumer, type ConnectedConsumer } from './connect-consumer.js';
import type { ConsumerPipelineOptions } from './consumer-pipeline-options.js';
import { startIdleWatch } from './idle-watch.js';
import { PipelineStopper } from './pipeline-stopper.js';
import { openSharedParts, closeSharedParts, type SharedParts } from './shared-parts.js';
import { FileStageGate, FileStageTap, userStageStreams } from './user-stages.js';

export interface ConsumerPipeline extends CoreStages, SharedParts {
  /** The stages in order, for `pipeline(p.stages)`. */
  readonly stages: Array<Readable | Writable>;
  readonly groupId: string;
  readonly consumer: ConnectedConsumer;
  /** Stops gracefully (`idle` drains what was read; any other reason finishes the files in processing). */
  stop(reason?: string): Promise<void>;
  /** Why it stopped, or 'end of input'. */
  readonly stoppedBy: string;
  /** True once the shutdown timeout abandoned the run (the pipeline was aborted on purpose). */
  readonly abandoned: boolean;
  /** Releases everything; idempotent. Runs by itself when the pipeline ends. */
  close(): Promise<void>;
}

export async function createConsumerPipeline(options: ConsumerPipelineOptions): Promise<ConsumerPipeline> {
  const started = Date.now();
  const c = await connectConsumer(options);
  let shared: SharedParts;
  try {
    shared = await openSharedParts(c, { outputDir: options.outputDir, topic: options.topic, logger: options.logger, started, registry: options.registry });
    if (options.retryFailed) await retryEarlierFailures(options, shared);
  } catch (err) {
    await c.consumer.disconnect().catch(() => undefined);
    await c.admin.disconnect().catch(() => undefined);
    throw err;
  }
  return assemble(options, c, shared);
}

async function retryEarlierFailures(o: ConsumerPipelineOptions, s: SharedParts): Promise<void> {
  const { retried, succeeded } = await retryFailedFiles({
    failed: s.failedFiles, registry: s.registry, process: o.process ?? (async () => undefined), onFailed: failedHandler(o, s),
    mode: o.mode, outputDir: o.outputDir, logger: o.logger, maxAttempts: o.maxAttempts,
  });
  o.logger.info({ retried, succeeded }, 'retried files that failed in earlier runs');
}

function assemble(o: ConsumerPipelineOptions, c: ConnectedConsumer, s: SharedParts): ConsumerPipeline {
  const { logger } = o;
  const abort = new AbortController();
  let gate: FileStageGate | undefined;
  let closing: Promise<void> | undefined;
  let stopWatch = (): void => undefined;
  const close = (): Promise<void> => {
    stopWatch();
    closing ??= closeSharedParts(c, s, logger);
    return closing;
  };
  const onSettled = async (st: Settlement): Promise<void> => {
    s.stats.record(st);
    if (st.outcome === 'skipped' && st.file && gate?.isSkippedByStage(st)) {
      s.registry.markSkipped(registryFile(st.file), 'skipped by a stage');
    }
    if (st.outcome === 'mismatched_hash' && st.file) {
      await s.failedFiles.saveMismatched(st.file);
      await o.onMismatchedHash?.(st.file);
    }
    // A journaled file kept in staging leaves it once its outcome is durable in the registry.
    await core.sink.settled(st, () => s.registry.flush());
  };
  const core = buildStages(o, c, s, { abortSignal: abort.signal, onSettled, close });
  const stopper = new PipelineStopper({
    source: core.source, processing: core.processing, logger, ...(o.shutdownTimeoutMs !== undefined && { shutdownTimeoutMs: o.shutdownTimeoutMs }),
    abort: () => {
      abort.abort();
      core.source.destroy(new DataFileStreamError('ERR_ABORTED', 'shutdown timeout: unfinished files were abandoned (not committed; read again next run)'));
    },
  });
  const user = o.stages && o.stages.length > 0 ? userStageStreams(o.stages) : [];
  if (user.length > 0) gate = new FileStageGate({ logger: logger.child({ stage: 'app' }), ...(o.unsettledAfterMs !== undefined && { unsettledAfterMs: o.unsettledAfterMs }) });
  const middle = gate ? [new FileStageTap(gate), ...user, gate] : [];
  const stages: Array<Readable | Writable> = [core.source, core.assembler, core.sink, ...middle, core.processing, core.committer];
  watchStageErrors(stages, core.committer, logger);
  o.signal?.addEventListener('abort', () => void stopper.stop('aborted'), { once: true });
  if (o.signal?.aborted) void stopper.stop('aborted');
  stopWatch = startIdleWatch({ admin: c.admin, topic: o.topic, groupId: c.groupId, ...core, registry: s.registry, gapWatch: s.gapWatch, stopper, logger, untilIdle: o.untilIdle });
  return {
    ...s, ...core, stages, groupId: c.groupId, consumer: c,
    stop: (reason = 'stopped') => stopper.stop(reason),
    get stoppedBy() {
      return stopper.reason ?? 'end of input';
    },
    get abandoned() {
      return abort.signal.aborted;
    },
    close: async () => {
      for (const stage of stages) stage.destroy();
      await close();
    },
  };
}

/** Errors outside `pipeline()` (before it was called, after it ended) are logged, never unhandled. */
function watchStageErrors(stages: Array<Readable | Writable>, last: Writable, logger: ConsumerPipelineOptions['logger']): void {
  let ended = false;
  last.once('close', () => (ended = true));
  for (const stage of stages) {
    stage.on('error', (err: unknown) => {
      if (ended || stage.listenerCount('error') === 1) logger.error({ err, code: errorCodeOf(err) }, `a consumer stage failed outside the pipeline: ${(err as Error)?.message ?? String(err)}`);
    });
  }
}
