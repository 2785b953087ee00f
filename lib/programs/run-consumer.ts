/**
 * runConsumer: the running part over the composer (lib/pipeline/create-consumer-pipeline.ts),
 * what the programs `download-directory`, `process` and `s3-transfer` run. It adds what a
 * program has and a library pipeline does not: the console control (`q` stops, `c` counts,
 * `updateSeconds`), SIGINT/SIGTERM (through control-input), the live progress line and the
 * summary. The stop rules, the idle rule and the shutdown timeout are the composer's.
 *
 * It resolves to the summary once the pipeline ended and everything is closed; a stage's error
 * rejects it, except when the shutdown timeout abandoned the run on purpose.
 */
import { pipeline } from 'node:stream/promises';
import { errorCodeOf } from '../errors.js';
import { stderrProgressLine } from '../log/progress-line.js';
import { createConsumerPipeline, type ConsumerPipeline } from '../pipeline/create-consumer-pipeline.js';
import { CREATE_NEW, type ConsumerPipelineOptions } from '../pipeline/consumer-pipeline-options.js';
import { listenForControl } from './control-input.js';
import { currentTelemetry } from '../telemetry/start-telemetry.js';
import type { ProcessFn } from '../processing/process-transform.js';

export { CREATE_NEW };

export type ConsumerRunOptions = ConsumerPipelineOptions & {
  /** Read `q`/`c` from stdin and stop on SIGINT/SIGTERM (the programs do; tests may not). */
  interactive?: boolean;
  /** Live progress line on stderr (default: when stderr is a TTY). */
  progress?: boolean;
  /** With `interactive`: log the counts every this many seconds (OpenMSIStream's --update_seconds). */
  updateSeconds?: number;
  /** Running totals a program adds to the consumer's heartbeat counters (a reproducer's results produced). */
  heartbeatCounts?: () => Record<string, number>;
};

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
  const { logger } = options;
  const started = Date.now();
  const telemetry = currentTelemetry();
  const processed = { messages: 0, bytes: 0 };
  const process = telemetry && options.process ? countingProcessed(options.process, processed) : options.process;
  const p = await createConsumerPipeline({ ...options, ...(process && { process }) });
  // OpenMSIStream's consumer heartbeat counters, in its order (MessageProcessorHeartbeatProducible).
  telemetry?.setCounts(() => ({
    n_messages_read: p.source.recordsRead,
    n_messages_processed: processed.messages,
    n_bytes_read: p.source.bytesRead,
    n_bytes_processed: processed.bytes,
    ...options.heartbeatCounts?.(),
  }));
  const disposeControl = options.interactive ? controlOf(p, options) : () => undefined;
  const progress = options.progress ?? globalThis.process.stderr.isTTY;
  const ticker = progress
    ? setInterval(() => stderrProgressLine().update(p.stats.progressLine({ bytesRead: p.source.bytesRead, inProgress: p.assembler.openFiles + p.processing.inProgress })), 500)
    : undefined;
  let failure: unknown;
  try {
    await pipeline(p.stages);
  } catch (err) {
    if (!p.abandoned) {
      failure = err;
      logger.error({ err, code: errorCodeOf(err) }, `consumer stopped on an error: ${(err as Error)?.message ?? String(err)}`);
    }
  } finally {
    clearInterval(ticker);
    if (progress) stderrProgressLine().done();
    disposeControl();
    await p.close();
  }
  if (failure) throw failure;
  const summary: ConsumerSummary = {
    groupId: p.groupId,
    stoppedBy: p.stoppedBy,
    ...p.stats.totals(),
    recordsRead: p.source.recordsRead,
    bytesRead: p.source.bytesRead,
    elapsedMs: Date.now() - started,
  };
  logger.info(summary, 'consumer finished');
  return summary;
}

/**
 * The file's chunks and bytes count as processed once the user's code returned success for it
 * (OpenMSIStream counts each message its handler accepted; a file is the unit here).
 */
function countingProcessed(process: ProcessFn, counts: { messages: number; bytes: number }): ProcessFn {
  return async (file) => {
    const result = await process(file);
    if (!(result instanceof Error)) {
      counts.messages += file.nTotalChunks;
      counts.bytes += file.size;
    }
    return result;
  };
}

function controlOf(p: ConsumerPipeline, options: ConsumerRunOptions): () => void {
  return listenForControl({
    stop: (reason) => void p.stop(reason),
    check: () => p.stats.describe({ recordsRead: p.source.recordsRead, inProgress: p.assembler.openFiles + p.processing.inProgress, openPaths: p.assembler.openFilePaths() }),
    ...(options.updateSeconds !== undefined && { updateSeconds: options.updateSeconds, update: (counts: string) => options.logger.info(counts) }),
  });
}
