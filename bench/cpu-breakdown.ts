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
 * absolute sampled seconds, are what is used.
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
 * Reads every profile in `dir` (thread 0's is the main thread's; the others are the hash
 * workers') and shares `cpuSeconds` out over the parts.
 */
export async function cpuBreakdown(dir: string, cpuSeconds: number, bytes: number): Promise<CpuBreakdown> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const totals = Object.fromEntries(CPU_PARTS.map((p) => [p, 0])) as Record<CpuPart, number>;
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as Profile;
    const parts = sampleParts(profile, threadOf(file) !== 0);
    for (const part of CPU_PARTS) totals[part] += parts[part];
  }
  const sampled = CPU_PARTS.reduce((s, p) => s + totals[p], 0);
  const perGiB = cpuSeconds / (bytes / 2 ** 30);
  const parts = Object.fromEntries(CPU_PARTS.map((p) => [p, sampled > 0 ? round((perGiB * totals[p]) / sampled) : 0])) as Record<CpuPart, number>;
  return { cpuSecondsPerGiB: round(perGiB), parts, sampledSeconds: round(sampled / 1e6), profiles: files.length };
}

/** Node names a profile `CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile`; thread 0 is the main thread. */
export function threadOf(file: string): number {
  return Number(file.split('.')[4]);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
