/**
 * OpenMSIStream's heartbeat and log topic flags, taken by every long-running program
 * (lib/telemetry/telemetry-options.ts says what they turn on), and the run wrapper that starts
 * the telemetry before a program's work and stops it after (a last heartbeat and log batch),
 * whatever way the work ended.
 */
import type { Logger } from 'pino';
import { positiveSeconds } from '../config/option-values.js';
import { startTelemetry, stopTelemetry } from '../telemetry/start-telemetry.js';
import { DEFAULT_HEARTBEAT_INTERVAL_SECS, DEFAULT_LOG_INTERVAL_SECS } from '../telemetry/telemetry-options.js';
import type { ArgumentDef, ParsedArguments } from './runnable.js';

export const TELEMETRY_ARGUMENTS: ArgumentDef[] = [
  { name: 'heartbeat_topic_name', type: 'string', help: 'produce heartbeat messages (OpenMSIStream\'s layout) to this topic' },
  { name: 'heartbeat_program_id', type: 'string', help: 'program id in the heartbeat keys [default: <Program>_<host>_<pid>]' },
  { name: 'heartbeat_interval_secs', type: 'number', default: DEFAULT_HEARTBEAT_INTERVAL_SECS, check: positiveSeconds, help: 'seconds between heartbeats' },
  { name: 'log_topic_name', type: 'string', help: 'produce this program\'s log lines, in batches, to this topic' },
  { name: 'log_program_id', type: 'string', help: 'program id in the log message keys [default: <Program>_<host>_<pid>]' },
  { name: 'log_interval_secs', type: 'number', default: DEFAULT_LOG_INTERVAL_SECS, check: positiveSeconds, help: 'seconds between log batches' },
];

/** Runs `work` with the program's telemetry around it (none when no topic flag was given). */
export async function withTelemetry<T>(args: ParsedArguments, programName: string, logger: Logger, counters: readonly string[], work: () => Promise<T>): Promise<T> {
  startTelemetry({
    counters,
    config: String(args.config ?? 'local'),
    flags: args,
    programName,
    logger,
    engine: typeof args.kafka_engine === 'string' ? args.kafka_engine : undefined,
    allowPlaintext: args.allow_plaintext === true,
  });
  try {
    return await work();
  } finally {
    await stopTelemetry();
  }
}
