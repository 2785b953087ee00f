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

/** n_threads in processing + files one run can process within a commit interval. */
export function inFlightWindow(nThreads: number, slowMs: number, commitIntervalMs = 1000): number {
  return nThreads + Math.ceil(commitIntervalMs / Math.max(1, slowMs)) * nThreads;
}
