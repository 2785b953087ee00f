/**
 * The oracle: what a scenario's runs left behind, measured against what it produced.
 *
 *   lost         files that should have been processed and never were with their right bytes,
 *                plus files that should have ended `failed` and are not recorded so
 *   wrong        processing calls that saw bytes other than the file's, calls for paths nobody
 *                uploaded, and files at final paths of a disk-mode output directory whose bytes
 *                are not those of a processed file (a partial or wrong file)
 *   duplicates   successful processing calls beyond the first per file
 *   outside      bytes (and entries) that appeared outside the output directories
 *   uncommitted  records in the log that the group has not committed past
 */
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { readCsvRecords } from '../../lib/registry/csv-records.js';
import { STAGING_DIR_NAME } from '../../lib/sinks/disk-sink.js';
import { sha512Hex } from './test-files.js';

export interface RecordLine {
  path: string;
  sha: string;
  ms: number;
  pid: number;
  attempt: number;
}

export async function readRecordFile(path: string): Promise<RecordLine[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [p, sha, ms, pid, attempt] = line.split(';');
      return { path: p!, sha: sha!, ms: Number(ms), pid: Number(pid), attempt: Number(attempt) };
    });
}

/** Rows of a `;` CSV under `<outputDir>/LOGS/` as objects keyed by the header (empty when absent). */
export async function readLogsTable(outputDir: string, name: string): Promise<Array<Record<string, string>>> {
  const buf = await readFile(join(outputDir, 'LOGS', name)).catch(() => undefined);
  if (!buf) return [];
  const { header, records } = readCsvRecords(buf);
  if (!header) return [];
  return records.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
}

export function inProgressTable(outputDir: string, topic: string, group: string): Promise<Array<Record<string, string>>> {
  return readLogsTable(outputDir, `consuming_from_${topic}_in_progress_by_${group}.csv`);
}

export function processedTable(outputDir: string, topic: string, group: string): Promise<Array<Record<string, string>>> {
  return readLogsTable(outputDir, `processed_from_${topic}_by_${group}.csv`);
}

export function rejectedTable(outputDir: string, topic: string, group: string): Promise<Array<Record<string, string>>> {
  return readLogsTable(outputDir, `rejected_from_${topic}_by_${group}.csv`);
}

/** Files at final paths of an output directory (LOGS/ and staging skipped), path -> sha512 hex. */
export async function finalFiles(outputDir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = await readdir(outputDir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const rel = relative(outputDir, full).split(sep).join('/');
    if (rel.startsWith('LOGS/') || rel.startsWith(`${STAGING_DIR_NAME}/`)) continue;
    const data = await readFile(full).catch(() => undefined);
    if (data) out.set(rel, sha512Hex(data));
  }
  return out;
}

export interface Expectations {
  /** Must be processed, with these bytes (path -> sha512 hex). */
  processed: Map<string, string>;
  /** Must end `failed` in a registry (path -> sha512 hex of its true bytes). */
  failed?: Map<string, string>;
  /** Paths (hostile or fuzzed uploads) whose processing is neither required nor wrong. */
  mayProcess?: (path: string) => boolean;
}

export interface Measured {
  lost: number;
  wrong: number;
  duplicates: number;
  lostPaths: string[];
  wrongDetails: string[];
  calls: number;
}

/**
 * `outputs`: every output directory of the scenario with the topic/group whose registry it holds
 * and whether its final paths are checked (disk and both modes).
 */
export async function measure(
  lines: RecordLine[],
  expect: Expectations,
  outputs: Array<{ dir: string; topic: string; group: string; disk: boolean }>,
): Promise<Measured> {
  const wrongDetails: string[] = [];
  const lostPaths: string[] = [];
  const good = new Map<string, number>();
  for (const line of lines) {
    const want = expect.processed.get(line.path) ?? expect.failed?.get(line.path);
    if (want === undefined) {
      if (!expect.mayProcess?.(line.path)) wrongDetails.push(`processed a path nobody uploaded: ${line.path}`);
      continue;
    }
    if (line.sha !== want) {
      wrongDetails.push(`processed ${line.path} with wrong bytes (pid ${line.pid})`);
      continue;
    }
    good.set(line.path, (good.get(line.path) ?? 0) + 1);
  }
  for (const path of expect.processed.keys()) if (!good.has(path)) lostPaths.push(path);
  if (expect.failed && expect.failed.size > 0) {
    const failedSomewhere = new Set<string>();
    for (const o of outputs) {
      for (const row of await inProgressTable(o.dir, o.topic, o.group)) if (row.status === 'failed') failedSomewhere.add(row.rel_filepath!);
    }
    for (const path of expect.failed.keys()) if (!failedSomewhere.has(path)) lostPaths.push(`${path} (not recorded as failed)`);
  }
  for (const o of outputs.filter((x) => x.disk)) {
    for (const [path, sha] of await finalFiles(o.dir)) {
      const want = expect.processed.get(path) ?? expect.failed?.get(path);
      if (want === undefined ? !expect.mayProcess?.(path) : want !== sha) wrongDetails.push(`final path ${path} holds ${want === undefined ? 'a file nobody uploaded' : 'wrong or partial bytes'}`);
    }
  }
  let duplicates = 0;
  for (const n of good.values()) duplicates += n - 1;
  return { lost: lostPaths.length, wrong: wrongDetails.length, duplicates, lostPaths, wrongDetails, calls: lines.length };
}
