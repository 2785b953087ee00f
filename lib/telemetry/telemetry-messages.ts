/**
 * The bytes of the two telemetry messages OpenMSIStream's long-running programs produce, so its
 * tools and ours read each other's:
 *
 * - heartbeat: key `<program id>_heartbeat`, value Python `json.dumps` of
 *   `{"timestamp": <UTC ISO 8601 with microseconds and +00:00>, ...counters}`; the counters are
 *   the counts since the previous heartbeat (an uploader's `n_messages_produced`/`n_bytes_produced`,
 *   a consumer's `n_messages_read`/`n_messages_processed`/`n_bytes_read`/`n_bytes_processed`).
 * - log batch: key `<program id>_log`, value `{"timestamp": <epoch seconds as a float>,
 *   "messages": [<one string per log line>]}`.
 *
 * Pure: the caller passes the clock. Counter deltas are worked out here too (sinceLast), so a
 * program only exposes running totals.
 */
import { pythonJsonDumps } from '../codec/python-json.js';

/** Running totals a program exposes, by OpenMSIStream's counter names. */
export type HeartbeatCounts = Readonly<Record<string, number>>;

/** OpenMSIStream's counters, in its order: an uploader's (UploadDirectoryHeartbeatProducible) and a consumer's (MessageProcessorHeartbeatProducible). */
export const UPLOADER_COUNTERS = ['n_messages_produced', 'n_bytes_produced'] as const;
export const CONSUMER_COUNTERS = ['n_messages_read', 'n_messages_processed', 'n_bytes_read', 'n_bytes_processed'] as const;
/** A reproducer's (MessageReproducerHeartbeatProducible): the consumer's, with the results it produced. */
export const REPRODUCER_COUNTERS = ['n_messages_read', 'n_messages_processed', 'n_messages_produced', 'n_bytes_read', 'n_bytes_processed', 'n_bytes_produced'] as const;

export interface TelemetryMessage {
  key: string;
  value: string;
}

export function heartbeatMessage(programId: string, counts: HeartbeatCounts, now: Date): TelemetryMessage {
  return { key: `${programId}_heartbeat`, value: pythonJsonDumps({ timestamp: pythonUtcIsoformat(now), ...counts }) };
}

export function logBatchMessage(programId: string, messages: readonly string[], nowMs: number): TelemetryMessage {
  // Python's time() is a float; a whole second would otherwise be written as an int (`5`, not `5.0`).
  const seconds = nowMs / 1000;
  const timestamp = Number.isInteger(seconds) ? seconds + 1e-6 : seconds;
  return { key: `${programId}_log`, value: pythonJsonDumps({ timestamp, messages }) };
}

/** `datetime.now(timezone.utc).isoformat()`: microseconds always present here (a JS clock has ms). */
export function pythonUtcIsoformat(d: Date): string {
  const iso = d.toISOString(); // 2026-12-03T18:55:58.123Z
  return `${iso.slice(0, 23)}000+00:00`;
}

/** The counts since `previous` (both running totals); a counter missing before counts from 0. */
export function sinceLast(current: HeartbeatCounts, previous: HeartbeatCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(current)) out[name] = Math.max(0, value - (previous[name] ?? 0));
  return out;
}
