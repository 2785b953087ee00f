/**
 * Retention gaps: records this group never finished were deleted (retention, `deleteRecords`)
 * while it was not reading, so files that were unfinished then can never be completed.
 *
 * In: at start, the group's committed offsets and the topic's log start and end offsets. A
 * partition whose committed offset is below its log start offset has a gap: records
 * [committed, logStart) are gone. (kafkajs answers the fetch with OFFSET_OUT_OF_RANGE and
 * resets to the earliest offset on its own; without this check the loss would be silent.)
 * Candidates are the files the registry lists as `in_progress`: every unfinished file an earlier
 * run read a chunk of (its row is durable before any offset past that chunk is committed,
 * including the chunks the staging journal made durable).
 *
 * Verdict: deferred until every gap partition has been read up to the end offset it had at
 * start (or the source was quiet for `quietMs`), so a candidate whose records all survived
 * completes normally and is not named. Then each candidate still unfinished is named with
 * ERR_FILE_UNRECOVERABLE in the log; the caller abandons it (settling its surviving records) and
 * records it `failed` in the registry, and consuming carries on.
 *
 * Not covered: a file whose first chunk an earlier run never read (no registry row) and whose
 * surviving chunks arrive after the gap stays open, like any file missing chunks.
 */
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { AssemblyError, type DataFileStreamError } from '../errors.js';
import type { InProgressEntry } from '../registry/file-registry.js';

export interface RetentionGap {
  partition: number;
  /** The group's committed offset: the first record it had not finished. */
  committed: bigint;
  /** The log start offset: records below it are gone. */
  logStart: bigint;
  /** The log end offset at start; the verdict waits until this partition was read to here. */
  end: bigint;
}

/** Pure: the partitions whose committed offset (>= 0) is below the log start offset. */
export function retentionGapsOf(
  committed: ReadonlyArray<{ partition: number; offset: string }>,
  offsets: ReadonlyArray<{ partition: number; low: string; high: string }>,
): RetentionGap[] {
  const byPartition = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  const gaps: RetentionGap[] = [];
  for (const o of offsets) {
    const at = byPartition.get(o.partition);
    if (at === undefined || at < 0n) continue; // nothing committed: the group never read here
    const logStart = BigInt(o.low);
    if (at < logStart) gaps.push({ partition: o.partition, committed: at, logStart, end: BigInt(o.high) });
  }
  return gaps.sort((a, b) => a.partition - b.partition);
}

export async function findRetentionGaps(admin: Admin, topic: string, groupId: string): Promise<RetentionGap[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  return retentionGapsOf(committed[0]?.partitions ?? [], offsets);
}

/** Pure: the verdict is due once each gap partition was read to its end at start. */
export function verdictDue(gaps: readonly RetentionGap[], nextOffset: (partition: number) => bigint | undefined): boolean {
  return gaps.every((g) => g.end <= g.logStart || (nextOffset(g.partition) ?? -1n) >= g.end);
}

/**
 * Pure: the rows now of candidates (in_progress rows at start) that are still unfinished. The
 * current rows, not the snapshot: the verdict asks whether this run refreshed a row since it
 * started, and the registry hands out copies, so a snapshot never shows that.
 */
export function unrecoverable(candidates: readonly InProgressEntry[], now: readonly InProgressEntry[]): InProgressEntry[] {
  const still = new Map(now.map((e) => [e.relativeFilepath, e]));
  return candidates.flatMap((c) => {
    const row = still.get(c.relativeFilepath);
    return row?.status === 'in_progress' ? [row] : [];
  });
}

export interface GapWatchOptions {
  admin: Admin;
  topic: string;
  groupId: string;
  registry: { inProgressFiles(): InProgressEntry[] };
  logger: Logger;
  /** When this run started: a candidate whose row was refreshed since was seen by this run. */
  started: number;
  /** Verdict anyway after the source was quiet this long (default 10 s). */
  quietMs?: number;
}

export interface GapVerdictHooks {
  /** Next offset the assembler will see on a partition (one past the last it took). */
  nextOffset: (partition: number) => bigint | undefined;
  quietForMs: number;
  /** Abandons a file open in the assembler; false when it is not open there. */
  abandon: (relativePath: string, error: DataFileStreamError) => boolean;
  /** Records a file this run never saw again as failed. */
  markFailed: (entry: InProgressEntry, error: DataFileStreamError) => void;
}

/** The check at start and the deferred verdict, for run-consumer. */
export class RetentionGapWatch {
  readonly gaps: readonly RetentionGap[];
  readonly #o: GapWatchOptions;
  readonly #candidates: InProgressEntry[];
  #pending = true;

  private constructor(o: GapWatchOptions, gaps: RetentionGap[], candidates: InProgressEntry[]) {
    this.#o = o;
    this.gaps = gaps;
    this.#candidates = candidates;
  }

  /**
   * Undefined when no partition has a gap, or when the offsets could not be read (a broker just
   * started may not have its group coordinator yet): the check must never keep the consumer
   * from starting, so that is logged and consuming goes on unchecked.
   */
  static async start(o: GapWatchOptions): Promise<RetentionGapWatch | undefined> {
    let gaps: RetentionGap[] | undefined;
    for (let attempt = 1; gaps === undefined; attempt++) {
      try {
        gaps = await findRetentionGaps(o.admin, o.topic, o.groupId);
      } catch (err) {
        if (attempt >= 3) {
          o.logger.warn({ err, topic: o.topic }, 'could not read committed and log start offsets; records deleted by retention while this group was away will not be reported');
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      }
    }
    if (gaps.length === 0) return undefined;
    const candidates = o.registry.inProgressFiles().filter((e) => e.status === 'in_progress');
    for (const g of gaps) {
      o.logger.error(
        { code: 'ERR_FILE_UNRECOVERABLE', topic: o.topic, partition: g.partition, from: String(g.committed), to: String(g.logStart - 1n), candidates: candidates.length },
        `records ${g.committed}..${g.logStart - 1n} of ${o.topic}[${g.partition}] were deleted (retention) before this group read them; unfinished files that had records there cannot be completed`,
      );
    }
    return new RetentionGapWatch(o, gaps, candidates);
  }

  /** True until the verdict was given. */
  get pending(): boolean {
    return this.#pending;
  }

  /** Gives the verdict once it is due; does nothing before, or after it was given. */
  poll(h: GapVerdictHooks): void {
    if (!this.#pending) return;
    if (!verdictDue(this.gaps, h.nextOffset) && h.quietForMs < (this.#o.quietMs ?? 10_000)) return;
    this.#pending = false;
    const { topic, logger, started } = this.#o;
    for (const entry of unrecoverable(this.#candidates, this.#o.registry.inProgressFiles())) {
      const path = entry.relativeFilepath;
      const error = new AssemblyError('ERR_FILE_UNRECOVERABLE', `${path}: some of its records were deleted from ${topic} (retention) before they were read; it cannot be completed`, { topic, path });
      // Open in the assembler: abandoned there (its surviving records settle). Not seen by this
      // run at all: recorded failed here. Seen and no longer open: it completed, nothing to say.
      let named = h.abandon(path, error);
      if (!named && entry.mostRecentMessage.getTime() < started) {
        h.markFailed(entry, error);
        named = true;
      }
      if (named) logger.error({ file: path, code: error.code, topic }, error.message);
    }
  }
}
