/**
 * GroupClock: the benchmark's one neutral clock for consumers. It watches a consumer group from
 * the outside, through the admin API, and says when the group's committed offsets reached the
 * end of every partition of a topic, whichever program the group belongs to.
 *
 * In: an admin client, a group id and a topic that is already full (its end offsets are read
 * once, at start). Out: `joinedAt` (the first poll that found the group Stable with members, as
 * the broker reports it: partitions are assigned and fetching can start), `firstCommitAt` (the
 * first poll that saw a committed offset past the start) and `done`, resolving with the time of
 * the poll that saw every partition committed to its end. `steadyFrom` is where steady state
 * starts: the earlier of the two. Not the first commit alone, because programs commit at
 * different paces (ours on an interval, OpenMSIStream as it goes): a first commit late in the
 * run would flatter whoever commits least. Not the join alone, because a group of several
 * consumers (OpenMSIStream's threads) rebalances as each joins and may be seen Stable only
 * after it has been consuming and committing for seconds. Times are `performance.now()` of
 * this process, the clock ProbedProcess stamps a spawn with.
 *
 * Why committed offsets: they are what both toolkits do at the end of a file anyway (ours after
 * the registry is durable, OpenMSIStream after the file is reconstructed), so no program needs a
 * debug log line, or any flag the other lacks, to be timed. Resolution is the poll interval.
 * A failing poll is retried on the next tick (a group that has not joined yet has no offsets);
 * `stop()` ends the polling, and `done` never settles after it.
 */
import { performance } from 'node:perf_hooks';
import type { Admin } from 'kafkajs';

export interface PartitionEnd {
  partition: number;
  low: number;
  high: number;
}

export interface GroupProgress {
  /** Records at or below the committed offsets, over all partitions. */
  committed: number;
  total: number;
  done: boolean;
}

/**
 * Pure: how far a group's commits are. A partition with no records is done with no commit
 * (there is nothing to commit); a committed offset of -1 means "none yet".
 */
export function groupProgress(ends: PartitionEnd[], committed: Array<{ partition: number; offset: string | number }>): GroupProgress {
  const at = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  let done = 0;
  let total = 0;
  let complete = true;
  for (const end of ends) {
    total += end.high - end.low;
    const offset = at.get(end.partition) ?? -1;
    done += Math.max(0, Math.min(offset, end.high) - end.low);
    if (end.high > end.low && offset < end.high) complete = false;
  }
  return { committed: done, total, done: complete };
}

/** Pure: where steady state starts, the earlier of the join and the first commit the bench saw. */
export function steadyStart(joinedAt: number | undefined, firstCommitAt: number | undefined): number | undefined {
  if (joinedAt === undefined) return firstCommitAt;
  if (firstCommitAt === undefined) return joinedAt;
  return Math.min(joinedAt, firstCommitAt);
}

export async function topicEnds(admin: Admin, topic: string): Promise<PartitionEnd[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) }));
}

export class GroupClock {
  joinedAt: number | undefined;
  firstCommitAt: number | undefined;
  doneAt: number | undefined;
  readonly done: Promise<number>;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #resolve!: (at: number) => void;

  constructor(
    readonly admin: Admin,
    readonly groupId: string,
    readonly topic: string,
    readonly ends: PartitionEnd[],
    readonly intervalMs = 150,
  ) {
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    this.#schedule(0);
  }

  /** Reads the topic's end offsets, then starts watching `groupId` on it. */
  static async start(admin: Admin, groupId: string, topic: string, intervalMs?: number): Promise<GroupClock> {
    return new GroupClock(admin, groupId, topic, await topicEnds(admin, topic), intervalMs);
  }

  get steadyFrom(): number | undefined {
    return steadyStart(this.joinedAt, this.firstCommitAt);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#poll(), delayMs);
  }

  async #poll(): Promise<void> {
    try {
      const [[entry], joined] = await Promise.all([
        this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] }),
        this.joinedAt === undefined ? this.#joined() : Promise.resolve(false),
      ]);
      const at = performance.now();
      if (this.#stopped) return;
      if (joined) this.joinedAt ??= at;
      const progress = groupProgress(this.ends, entry?.partitions ?? []);
      if (this.firstCommitAt === undefined && progress.committed > 0) this.firstCommitAt = at;
      if (progress.done) {
        this.firstCommitAt ??= at;
        this.doneAt = at;
        this.#stopped = true;
        this.#resolve(at);
        return;
      }
    } catch {
      // the group or its coordinator is not there yet; the next tick asks again
    }
    this.#schedule(this.intervalMs);
  }

  async #joined(): Promise<boolean> {
    const { groups } = await this.admin.describeGroups([this.groupId]);
    const group = groups[0];
    return group !== undefined && group.state === 'Stable' && group.members.length > 0;
  }
}
