/**
 * Partial files staged by another member: the staging journal lets the group commit past the
 * records of a partial file once its chunks are durable in this member's staging directory (so
 * a file that never completes does not pin its partition). Another member that takes the
 * partition over (a kill, a rebalance, a member added) has no such directory: starting at the
 * committed offset it would never see those chunks, and the file would be lost, its first half
 * in one member's staging and its second half in the other's.
 *
 * So every commit carries, in its metadata, the lowest offset of the partition whose chunk sits
 * in this member's staging for a still-partial file (`{"staged_from":"<offset>"}`), and a member
 * that is assigned the partition reads again from there, unless it holds that very record
 * itself (the same member after a restart, with its journal). Reading again costs a re-read of
 * the records between the two offsets (files finished meanwhile by the other member may be
 * processed again: at-least-once), never a lost file.
 *
 * Pure helpers first; `resumeStagedElsewhere` is the GROUP_JOIN step run-consumer calls.
 */
import type { Admin, Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import type { JournalFile } from '../pipeline-events.js';

/** Commit metadata for a partition committed at `offset` (null: nothing staged below it). */
export function stagedMetadata(stagedFrom: bigint | undefined, offset: string): string | null {
  return stagedFrom !== undefined && stagedFrom < BigInt(offset) ? JSON.stringify({ staged_from: String(stagedFrom) }) : null;
}

/** The `staged_from` offset of a commit's metadata, or undefined (none, or metadata of another tool). */
export function parseStagedFrom(metadata: string | null | undefined): bigint | undefined {
  if (!metadata || !metadata.startsWith('{')) return undefined;
  try {
    const value = (JSON.parse(metadata) as { staged_from?: unknown }).staged_from;
    return typeof value === 'string' && /^\d+$/.test(value) ? BigInt(value) : undefined;
  } catch {
    return undefined;
  }
}

/** Per partition, the lowest record offset of the chunks a journal restored (this member's own). */
export function restoredFrom(files: readonly JournalFile[]): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const f of files) {
    for (const c of f.chunks) {
      const offset = BigInt(c.position.offset);
      if ((out.get(c.position.partition) ?? offset + 1n) > offset) out.set(c.position.partition, offset);
    }
  }
  return out;
}

/** Where to read a newly assigned partition from, or undefined to start at the committed offset. */
export function resumeOffset(committed: string, metadata: string | null | undefined, own: bigint | undefined): bigint | undefined {
  const from = parseStagedFrom(metadata);
  if (from === undefined || BigInt(committed) < 0n || from >= BigInt(committed)) return undefined;
  return own === from ? undefined : from;
}

export interface ResumeOptions {
  admin: Admin;
  consumer: Consumer;
  topic: string;
  groupId: string;
  partitions: readonly number[];
  /** This member's own lowest staged record per partition. */
  own: (partition: number) => bigint | undefined;
  logger: Logger;
}

/** After an assignment: seeks back the partitions whose partial files another member staged. */
export async function resumeStagedElsewhere(o: ResumeOptions): Promise<void> {
  let committed;
  try {
    committed = (await o.admin.fetchOffsets({ groupId: o.groupId, topics: [o.topic] }))[0]?.partitions ?? [];
  } catch (err) {
    o.logger.warn({ err }, 'could not read the commit metadata; partial files staged by another member may stay incomplete');
    return;
  }
  for (const p of committed) {
    if (!o.partitions.includes(p.partition)) continue;
    const from = resumeOffset(p.offset, p.metadata, o.own(p.partition));
    if (from === undefined) continue;
    o.logger.info({ partition: p.partition, from: String(from), committed: p.offset }, 'partial files of this partition are staged by another member (or a lost staging directory): reading again from their first record');
    o.consumer.seek({ topic: o.topic, partition: p.partition, offset: String(from) });
  }
}
