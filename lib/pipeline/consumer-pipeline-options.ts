/**
 * What `createConsumerPipeline` takes. Defaults that belong to a stage (threads, attempts, memory
 * budget, staging delay) are not written here: an option left undefined is passed through, and
 * the stage applies its own default and check.
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ConsumerOptions } from '../config/kafka-options.js';
import type { ConsumerMode, DownloadDataFile } from '../download-data-file.js';
import type { FileRef } from '../pipeline-events.js';
import type { ProcessFn } from '../processing/process-transform.js';
import type { UserStage } from './user-stages.js';
import type { RegistryNaming } from './shared-parts.js';
import type { OffsetCommitterOptions } from '../offsets/offset-committer.js';
import type { OffsetTracker } from '../offsets/offset-tracker.js';
import type { FileRegistry } from '../registry/file-registry.js';

/** What a commit seam gets from the composer: the registry, the tracker, the group and its consumer. */
export interface CommitSeamParts {
  registry: Pick<FileRegistry, 'markProcessed' | 'flushProcessed'>;
  tracker: Pick<OffsetTracker, 'committed'>;
  groupId: string;
  /** The consumer that reads the records (librdkafka commits transactional offsets through it, with its group generation). */
  consumer: Consumer;
}

/** A commit that replaces the consumer's plain one (the OffsetCommitter's `commit` and `onProcessed`). */
export interface CommitSeam {
  commit: OffsetCommitterOptions['commit'];
  onProcessed: NonNullable<OffsetCommitterOptions['onProcessed']>;
}

/** A group id that makes a fresh group each run (restart recovery off), as in OpenMSIStream. */
export const CREATE_NEW = 'create_new';

/** Where the consumer comes from: an OpenMSIStream config file, or a kafkajs client the app has. */
export type ConsumerConnection =
  | { config: string; kafka?: undefined; allowPlaintext?: boolean; /** librdkafka or kafkajs (lib/config/kafka-engine-option.ts). */ kafkaEngine?: string }
  | {
      kafka: Kafka;
      config?: undefined;
      /** For error messages only (the client does not say where it connects). */
      brokers?: string[];
      /** The [consumer] section's settings, as `consumerOptions()` reads them from a config. */
      consumerOptions?: Partial<ConsumerOptions>;
    };

export type ConsumerPipelineOptions = ConsumerConnection & {
  topic: string;
  /**
   * The consumer group; without it, the config's `group.id` ([consumer] section), else `create_new`.
   * `create_new` (or '') makes a fresh group: no staging journal, no retention watch.
   */
  groupId?: string;
  outputDir: string;
  mode: ConsumerMode;
  logger: Logger;
  nThreads?: number;
  downloadRegex?: RegExp;
  /** End the pipeline (draining what was read) once caught up and quiet this many seconds. */
  untilIdle?: number;
  /**
   * Bytes memory mode may hold (the MemoryBuffer's default otherwise): files, and a share kept
   * for records in flight (fileBytesOfBudget in lib/sinks/memory-buffer-options.ts).
   */
  memoryBudget?: number;
  maxAttempts?: number;
  processTimeoutMs?: number;
  process?: ProcessFn;
  onFailed?: (file: DownloadDataFile, error: Error) => Promise<void> | void;
  /** Process again, before consuming, the files earlier runs recorded as failed. */
  retryFailed?: boolean;
  onMismatchedHash?: (ref: FileRef) => Promise<void> | void;
  /** Aborting it stops the pipeline gracefully: the files in processing finish, the last commit is made. */
  signal?: AbortSignal;
  commitIntervalMs?: number;
  /** How long a partial file stays in staging before its records are released. */
  stageAfterMs?: number;
  /** After a stop, how long to wait for the files in processing before abandoning them (default 30 s). */
  shutdownTimeoutMs?: number;
  /** The app's own stages, between the sink and processing (see user-stages.ts). */
  stages?: UserStage[];
  /** Replaces the offset commit (a reproducer's transactions); built with the stages, after `retryFailed` ran. */
  commitSeam?: (parts: CommitSeamParts) => CommitSeam;
  /** The registry's processed-table name and failure status, for a program that records other outcomes (a reproducer). */
  registry?: RegistryNaming;
  /** A file that entered the app's stages and has not left them after this long is logged by name (default 60 s). */
  unsettledAfterMs?: number;
};
