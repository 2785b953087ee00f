/**
 * Reproducible randomness for tests: one seeded generator (mulberry32), a shuffle and an
 * interleaving driven by it, so a failing "random" order can be replayed from its seed.
 */

/** Numbers in [0, 1), the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A shuffled copy (Fisher-Yates); `items` is left as it was. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Random interleaving of several sequences, each keeping its own order. */
export function interleave<T>(sequences: readonly (readonly T[])[], random: () => number): T[] {
  const queues = sequences.map((s) => [...s]);
  const out: T[] = [];
  for (;;) {
    const live = queues.filter((q) => q.length > 0);
    if (live.length === 0) return out;
    out.push(live[Math.floor(random() * live.length)]!.shift()!);
  }
}

/** `length` seeded pseudo-random bytes. */
export function seededBytes(length: number, seed = 1): Buffer {
  const random = prng(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}
