/**
 * What outlives single stages, opened before them: the registry, the staging journal (partial
 * files survive a restart; only for a named group), the retention watch (records deleted while
 * the group was away), the rejected-records file, the failed files kept for `retryFailed`, the
 * offset tracker and the counters. `closeSharedParts` closes them in the order that keeps the
 * guarantees: last commit first, then the consumer, then the files.
 */
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { OffsetTracker } from '../offsets/offset-tracker.js';
import { FailedFiles } from '../processing/failed-files.js';
import { FileRegistry, type FileRegistryOptions } from '../registry/file-registry.js';
import { RejectedRecords } from '../registry/rejected-records.js';
import { STAGING_DIR_NAME } from '../paths/staging-names.js';
import { StagingJournal } from '../sinks/staging-journal.js';
import type { ConnectedConsumer } from './connect-consumer.js';
import { ConsumerStats } from './consumer-stats.js';
import { RetentionGapWatch } from './retention-gaps.js';

/** What a program may change in the registry: its processed table's name, a failure's status (a reproducer's). */
export type RegistryNaming = Pick<FileRegistryOptions, 'processedName' | 'failedStatus'>;

export interface SharedParts {
  registry: FileRegistry;
  journal: StagingJournal | undefined;
  gapWatch: RetentionGapWatch | undefined;
  rejected: RejectedRecords;
  failedFiles: FailedFiles;
  tracker: OffsetTracker;
  stats: ConsumerStats;
  stagingDir: string;
}

export async function openSharedParts(
  c: ConnectedConsumer,
  o: { outputDir: string; topic: string; logger: Logger; started: number; registry?: RegistryNaming | undefined },
): Promise<SharedParts> {
  const { topic, logger } = o;
  const group = c.groupId;
  const registry = await FileRegistry.open({ dir: o.outputDir, topic, group, ...o.registry });
  const stagingDir = join(o.outputDir, STAGING_DIR_NAME);
  const journal = c.durableGroup ? await StagingJournal.open(stagingDir, topic, group) : undefined;
  if (journal && journal.restored.length > 0) logger.info({ files: journal.restored.length }, 'resuming partial files from the staging journal');
  const gapWatch = c.durableGroup ? await RetentionGapWatch.start({ admin: c.admin, topic, groupId: group, registry, logger, started: o.started }) : undefined;
  const rejected = await RejectedRecords.open({ dir: o.outputDir, topic, group });
  const failedFiles = new FailedFiles(stagingDir);
  await failedFiles.load();
  return { registry, journal, gapWatch, rejected, failedFiles, tracker: new OffsetTracker(), stats: new ConsumerStats(), stagingDir };
}

export async function closeSharedParts(c: ConnectedConsumer, s: SharedParts, logger: Logger): Promise<void> {
  await c.consumer.disconnect().catch(() => undefined);
  await c.admin.disconnect().catch(() => undefined);
  await s.registry.close().catch((err: unknown) => logger.error({ err }, 'registry close failed'));
  await s.journal?.close();
  await s.rejected.close().catch(() => undefined);
  await rmdir(s.stagingDir).catch(() => undefined); // only when empty
}
