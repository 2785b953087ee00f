/**
 * The composed pipeline's clock: every 500 ms it asks the retention watch for its verdict (files
 * whose records retention deleted), and with `untilIdle` it stops the pipeline once the run is
 * done: nothing new for `untilIdle` seconds, nothing in processing, and every partition read to
 * its end (here) or committed to its end (by the group). Files still missing chunks do not keep
 * the run alive: they are staged, or read again next time.
 */
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import type { ChunkAssembler } from '../assembler/chunk-assembler.js';
import type { FileRegistry } from '../registry/file-registry.js';
import type { ProcessTransform } from '../processing/process-transform.js';
import type { KafkaSource } from '../source/kafka-source.js';
import type { PipelineStopper } from './pipeline-stopper.js';
import type { RetentionGapWatch } from './retention-gaps.js';

export interface IdleWatchParts {
  admin: Admin;
  topic: string;
  groupId: string;
  source: KafkaSource;
  assembler: ChunkAssembler;
  processing: ProcessTransform;
  registry: FileRegistry;
  gapWatch: RetentionGapWatch | undefined;
  stopper: PipelineStopper;
  logger: Logger;
  untilIdle: number | undefined;
}

/** Starts the clock; the returned function stops it. */
export function startIdleWatch(w: IdleWatchParts): () => void {
  const timer = setInterval(() => {
    w.gapWatch?.poll({
      nextOffset: (partition) => w.assembler.nextOffset(partition),
      quietForMs: w.source.quietFor,
      abandon: (path, error) => w.assembler.abandonFile(path, error),
      markFailed: (entry, error) => w.registry.markFailed({ ...entry, nTotalChunks: entry.nChunks }, error),
    });
    if (w.untilIdle === undefined || w.stopper.stopping || w.gapWatch?.pending) return;
    const quiet = w.source.quietFor >= w.untilIdle * 1000;
    if (!quiet || w.processing.inProgress > 0) return;
    readToEnd(w.admin, w.topic, w.groupId, w.source)
      .then((yes) => {
        if (yes) void w.stopper.stop('idle');
      })
      .catch((err: unknown) => w.logger.debug({ err }, 'lag check failed'));
  }, 500);
  return () => clearInterval(timer);
}

/**
 * True when the group is done with the topic as far as this member can tell: every partition
 * assigned here was read to its end, and every other partition is committed to its end. A
 * partition held by another member (or by a killed one whose session has not expired yet) keeps
 * the run waiting, since its records may complete files this member is assembling.
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
