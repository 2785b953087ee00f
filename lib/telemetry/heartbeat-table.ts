/**
 * heartbeatTable: the monitor's screen on a TTY, one line per program (HeartbeatBoard rows):
 * id, time since last seen, messages and MiB per second since its previous heartbeat (produced
 * for uploaders, read and processed for consumers), and SILENT past the threshold. Pure text.
 */
import type { HeartbeatRow } from './heartbeat-board.js';

const MIB = 1024 * 1024;

export function heartbeatTable(rows: readonly HeartbeatRow[], nowMs: number, topic: string): string {
  const header = ['program id', 'last seen', 'beats', 'msg/s', 'MiB/s', 'counters since previous', 'state'];
  const body = rows.map((r) => [
    r.programId,
    ago(nowMs - r.lastSeenMs),
    String(r.heartbeats),
    rate(r.rates.n_messages_produced ?? r.rates.n_messages_processed ?? r.rates.n_messages_read, 1),
    rate(r.rates.n_bytes_produced ?? r.rates.n_bytes_processed ?? r.rates.n_bytes_read, MIB),
    Object.entries(r.counters).map(([k, v]) => `${k.replace(/^n_/, '')}=${v}`).join(' '),
    r.silent ? 'SILENT' : 'ok',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const title = `heartbeats on "${topic}" at ${new Date(nowMs).toISOString()} (${rows.length} program${rows.length === 1 ? '' : 's'})`;
  return [title, '', line(header), ...body.map(line), ''].join('\n');
}

function rate(value: number | undefined, unit: number): string {
  return value === undefined ? '-' : (value / unit).toFixed(unit === 1 ? 1 : 2);
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}
