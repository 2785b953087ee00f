/**
 * Duplicates per crashed run: a file processed again was first processed by a run that died
 * before its registry row was durable. Attributing each repeat to the process of the earlier
 * copy gives the duplicates one crash caused, to compare with the in-flight window
 * (n_threads files in processing plus the files processed since the last registry flush).
 */
import type { RecordLine } from './oracle.js';

export function duplicatesPerRun(lines: RecordLine[], expected: Map<string, string>): Map<number, number> {
  const byPath = new Map<string, RecordLine[]>();
  for (const line of lines) {
    if (expected.get(line.path) !== line.sha) continue;
    const list = byPath.get(line.path) ?? [];
    list.push(line);
    byPath.set(line.path, list);
  }
  const perPid = new Map<number, number>();
  for (const list of byPath.values()) {
    list.sort((a, b) => a.ms - b.ms);
    for (let i = 1; i < list.length; i++) perPid.set(list[i - 1]!.pid, (perPid.get(list[i - 1]!.pid) ?? 0) + 1);
  }
  return perPid;
}

/**
 * The files a crash can make the program process again although their processing had ended: a
 * processed file starts a flush of the processed rows, at most one per 100 ms
 * (lib/offsets/offset-committer.ts), so they are the files whose processing ended while the last
 * flush ran or waited out its gap (one per thread, more when files take less than the gap) and
 * those ending during the next. `flushMs` bounds gap + append + fsync on a loaded machine.
 */
export function inFlightWindow(nThreads: number, slowMs: number, flushMs = 200): number {
  return nThreads + Math.ceil(flushMs / Math.max(1, slowMs)) * nThreads;
}
