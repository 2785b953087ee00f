/**
 * coveredFiles: which finished files a commit may include whole, and how far each partition may
 * be committed so that no file is covered only in part. Pure; used by the transactional commit
 * of a reproducer, where a file's result message and the offsets of all its records must commit
 * in one transaction: a file whose records were committed in part and whose result was not would
 * never be read whole again (its result lost), and one whose result was committed but whose
 * records were not would be read again (its result produced twice).
 *
 * In: the offsets the tracker offers (per partition, one past the settled records) and the
 * pending files, each with the positions of its records. A position is covered when its
 * partition is offered and its offset is below the offer. Out: the files whose every position is
 * covered, and the offers lowered (to the lowest position of any file left out) so that no file
 * left out has a covered position. Lowering can uncover another file, so it repeats to a fixed
 * point; it only ever lowers, so it ends. An offer lowered to nothing is dropped.
 */
import type { CommitOffset } from './offset-tracker.js';

export interface PendingPositions {
  positions: ReadonlyArray<{ topic: string; partition: number; offset: string }>;
}

export function coveredFiles<F extends PendingPositions>(offers: readonly CommitOffset[], pending: readonly F[], committed: (topic: string, partition: number) => string | undefined): { files: F[]; offsets: CommitOffset[] } {
  const cap = new Map(offers.map((o) => [`${o.topic}\0${o.partition}`, BigInt(o.offset)]));
  const covered = (p: PendingPositions['positions'][number]): boolean => {
    const limit = cap.get(`${p.topic}\0${p.partition}`);
    return limit !== undefined && BigInt(p.offset) < limit;
  };
  const out = new Set<F>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const file of pending) {
      if (out.has(file) || file.positions.every(covered)) continue;
      out.add(file);
      for (const p of file.positions) {
        if (!covered(p)) continue;
        cap.set(`${p.topic}\0${p.partition}`, BigInt(p.offset));
        changed = true;
      }
    }
  }
  const offsets = offers
    .map((o) => ({ ...o, offset: String(cap.get(`${o.topic}\0${o.partition}`)!) }))
    .filter((o) => {
      const last = committed(o.topic, o.partition);
      return last === undefined || BigInt(o.offset) > BigInt(last);
    });
  return { files: pending.filter((f) => !out.has(f)), offsets };
}
