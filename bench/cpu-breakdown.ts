/**
 * Where a rebuild's CPU time goes, by part: one profiled run of our disk rebuild (`node
 * --cpu-prof`, which writes a profile for the main thread and one per worker thread), its samples
 * sorted into parts by the function and file they fell in, and the run's measured CPU seconds
 * (user + system, /proc) shared out in proportion. Untimed: the profiler itself costs a little.
 *
 * Parts: the Kafka client (kafkajs's fetch and protocol, sockets), its LZ4 codec (this toolkit's
 * TypeScript codec that kafkajs calls), chunk decoding (msgpack fields), hashing (SHA-512 on the
 * worker threads, and posting to them), writes (staging files: write, fsync, rename), garbage
 * collection, and the rest (our stages, streams, timers, native code not attributed to a function).
 * Samples where a thread waited (`(idle)`) are left out. A sample counts wall time, so on a busy
 * machine a thread descheduled in the middle of something is charged to it: the shares, not the
 * absolute sampled seconds, are what is used. That skews most the hash worker, which shares the
 * two cores with the main thread and the broker; so when the bench measured SHA-512's own cost
 * on this machine (its ceiling row, one pass per byte here), hashing is that figure and the rest
 * of the measured CPU time is shared out by the main thread's profile alone.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CPU_PARTS = ['client', 'lz4', 'decode', 'hashing', 'writes', 'gc', 'other'] as const;
export type CpuPart = (typeof CPU_PARTS)[number];

export interface CpuBreakdown {
  /** Measured CPU seconds of the profiled run, per GiB rebuilt. */
  cpuSecondsPerGiB: number;
  /** The same, shared out by part. */
  parts: Record<CpuPart, number>;
  /** Sampled (non-idle) seconds, all threads together. */
  sampledSeconds: number;
  profiles: number;
  /** Hashing is SHA-512's own measured cost (the ceiling row), not the hash worker's samples. */
  hashingMeasured?: boolean;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The part one sample belongs to; `worker`: the sample is from a hash worker thread. */
export function partOf(functionName: string, url: string, worker: boolean): CpuPart | 'idle' {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'gc';
  if (worker || /off-thread-sha512|sha512-worker|chunk-hash/.test(url) || url === 'node:internal/crypto/hash' || functionName === 'postMessage') return 'hashing';
  if (/lz4-frame|xxhash32/.test(url)) return 'lz4';
  if (/node_modules\/kafkajs|lib\/kafka\/|node:net|node:internal\/stream_base_commons/.test(url)) return 'client';
  if (/chunk-codec|@msgpack/.test(url)) return 'decode';
  if (/staged-file|staging-area|staging-journal/.test(url) || /^(writeBuffer|writeBuffers|fsync|fdatasync|rename|open|close|ftruncate)$/.test(functionName)) return 'writes';
  return 'other';
}

/** Non-idle sampled microseconds by part, for one profile. */
export function sampleParts(profile: Profile, worker: boolean): Record<CpuPart, number> {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = Object.fromEntries(CPU_PARTS.map((p) => [p, 0])) as Record<CpuPart, number>;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return;
    const part = partOf(frame.functionName, frame.url, worker);
    if (part !== 'idle') out[part] += profile.timeDeltas[i] ?? 0;
  });
  return out;
}

/**
 * Reads the profiles in `dir` (thread 0's is the main thread's; the others are the hash
 * workers') and shares `cpuSeconds` out over the parts; with `hashSecondsPerGiB`, hashing is that
 * and the hash workers' profiles are not read.
 */
export async function cpuBreakdown(dir: string, cpuSeconds: number, bytes: number, hashSecondsPerGiB?: number): Promise<CpuBreakdown> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const totals = Object.fromEntries(CPU_PARTS.map((p) => [p, 0])) as Record<CpuPart, number>;
  for (const file of files) {
    const worker = threadOf(file) !== 0;
    if (worker && hashSecondsPerGiB !== undefined) continue;
    const parts = sampleParts(JSON.parse(await readFile(join(dir, file), 'utf8')) as Profile, worker);
    for (const part of CPU_PARTS) totals[part] += parts[part];
  }
  const sampled = CPU_PARTS.reduce((s, p) => s + totals[p], 0);
  const perGiB = cpuSeconds / (bytes / 2 ** 30);
  const hashing = hashSecondsPerGiB === undefined ? 0 : Math.min(hashSecondsPerGiB, perGiB);
  const shared = perGiB - hashing;
  const parts = Object.fromEntries(CPU_PARTS.map((p) => [p, sampled > 0 ? round((shared * totals[p]) / sampled) : 0])) as Record<CpuPart, number>;
  parts.hashing = round(parts.hashing + hashing);
  return { cpuSecondsPerGiB: round(perGiB), parts, sampledSeconds: round(sampled / 1e6), profiles: files.length, ...(hashSecondsPerGiB !== undefined && { hashingMeasured: true }) };
}

/** Node names a profile `CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile`; thread 0 is the main thread. */
export function threadOf(file: string): number {
  return Number(file.split('.')[4]);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
