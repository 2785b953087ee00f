/**
 * HeartbeatBoard: what `datafile-stream monitor` knows about each program that heartbeats,
 * built from heartbeat records as OpenMSIStream's programs and ours send them (key
 * `<program id>_heartbeat`, value `{"timestamp": ISO 8601, ...counters since the last one}`).
 *
 * In: records in topic order (`add`). Out: one row per program id: when it was last seen (the
 * heartbeat's own timestamp), the counters of its last heartbeat, their rates per second over
 * the time since the heartbeat before it, and `silent` once nothing came for `silentAfterMs`.
 * A record that is not a heartbeat (other key, value not JSON, no timestamp) is counted in
 * `ignored` and otherwise left out. Pure: the caller passes the clock; rendering is
 * heartbeat-table.ts.
 */

export interface HeartbeatRow {
  programId: string;
  /** The last heartbeat's timestamp, ms since the epoch. */
  lastSeenMs: number;
  heartbeats: number;
  /** Counters of the last heartbeat (counts since the one before). */
  counters: Record<string, number>;
  /** Each counter per second over the gap to the previous heartbeat; empty after the first. */
  rates: Record<string, number>;
  silent: boolean;
}

const SUFFIX = '_heartbeat';

export class HeartbeatBoard {
  readonly #rows = new Map<string, HeartbeatRow>();
  readonly #silentAfterMs: number;
  ignored = 0;

  constructor(silentAfterMs: number) {
    this.#silentAfterMs = silentAfterMs;
  }

  /** Takes one record; returns the program's updated row, or undefined for a record that is not a heartbeat. */
  add(key: string | null | undefined, value: Buffer | string | null | undefined): HeartbeatRow | undefined {
    const parsed = parseHeartbeat(key, value);
    if (!parsed) {
      this.ignored++;
      return undefined;
    }
    const before = this.#rows.get(parsed.programId);
    // Records of one program may sit on several partitions: an older heartbeat read late is not news.
    if (before && parsed.timestampMs < before.lastSeenMs) return before;
    const gapS = before ? (parsed.timestampMs - before.lastSeenMs) / 1000 : 0;
    const rates = gapS > 0 ? Object.fromEntries(Object.entries(parsed.counters).map(([k, v]) => [k, v / gapS])) : {};
    const row: HeartbeatRow = { programId: parsed.programId, lastSeenMs: parsed.timestampMs, heartbeats: (before?.heartbeats ?? 0) + 1, counters: parsed.counters, rates, silent: false };
    this.#rows.set(parsed.programId, row);
    return row;
  }

  /** Every program's row, by program id, with `silent` worked out at `nowMs`. */
  rows(nowMs: number): HeartbeatRow[] {
    return [...this.#rows.values()]
      .map((r) => ({ ...r, silent: nowMs - r.lastSeenMs > this.#silentAfterMs }))
      .sort((a, b) => a.programId.localeCompare(b.programId));
  }
}

export function parseHeartbeat(key: string | null | undefined, value: Buffer | string | null | undefined): { programId: string; timestampMs: number; counters: Record<string, number> } | undefined {
  if (!key || !key.endsWith(SUFFIX) || key.length === SUFFIX.length || value == null) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(value.toString());
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { timestamp, ...rest } = body as Record<string, unknown>;
  // Python's isoformat has microseconds; Date.parse reads them to the ms.
  const timestampMs = typeof timestamp === 'string' ? Date.parse(timestamp.replace(/(\.\d{3})\d+/, '$1')) : NaN;
  if (!Number.isFinite(timestampMs)) return undefined;
  const counters: Record<string, number> = {};
  for (const [k, v] of Object.entries(rest)) if (typeof v === 'number' && Number.isFinite(v)) counters[k] = v;
  return { programId: key.slice(0, -SUFFIX.length), timestampMs, counters };
}
