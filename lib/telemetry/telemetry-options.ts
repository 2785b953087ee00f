/**
 * What a program's heartbeats and log batches are: from OpenMSIStream's flags
 * (`--heartbeat_topic_name`, `--heartbeat_program_id`, `--heartbeat_interval_secs`, the same
 * three for `log`) and the config's `[heartbeat]` / `[log]` sections, as OpenMSIStream reads
 * them: the topic flag turns each on; the section holds producer settings (`compression.type`;
 * `linger.ms` and `prefer.separate.producer` are accepted: this toolkit always sends telemetry
 * from its own producer, one record per send) and, for `[log]`, `max.logs.per.message` and
 * `log.level`. A section without its topic flag sends nothing, as in OpenMSIStream, and says so.
 * Invalid values throw ERR_INVALID_OPTION / ERR_CONFIG_VALUE naming the option.
 */
import { hostname } from 'node:os';
import { ConfigError } from '../errors.js';
import type { ConfigSections } from '../config/config-file.js';
import { DEFAULT_MAX_LOGS_PER_MESSAGE } from './log-batch.js';

/** OpenMSIStream's defaults: a heartbeat every 15 minutes, logs every minute. */
export const DEFAULT_HEARTBEAT_INTERVAL_SECS = 15 * 60;
export const DEFAULT_LOG_INTERVAL_SECS = 60;

export interface TelemetryChannel {
  topic: string;
  programId: string;
  intervalMs: number;
  /** `compression.type` of the section (default none). */
  compression: string;
}

export interface TelemetrySettings {
  heartbeat?: TelemetryChannel;
  log?: TelemetryChannel & { maxMessages: number; level: string };
  /** Why a section present in the config sends nothing (for one info line). */
  notes: string[];
}

export interface TelemetryFlags {
  heartbeat_topic_name?: unknown;
  heartbeat_program_id?: unknown;
  heartbeat_interval_secs?: unknown;
  log_topic_name?: unknown;
  log_program_id?: unknown;
  log_interval_secs?: unknown;
}

/** A program id that is the same across restarts of one program on one host only while its pid is. */
export function defaultProgramId(programName: string): string {
  return `${programName}_${hostname()}_${process.pid}`;
}

export function telemetrySettings(flags: TelemetryFlags, sections: ConfigSections, programName: string): TelemetrySettings {
  const notes: string[] = [];
  const heartbeat = channel('heartbeat', flags.heartbeat_topic_name, flags.heartbeat_program_id, flags.heartbeat_interval_secs, DEFAULT_HEARTBEAT_INTERVAL_SECS, sections, programName, notes);
  const logChannel = channel('log', flags.log_topic_name, flags.log_program_id, flags.log_interval_secs, DEFAULT_LOG_INTERVAL_SECS, sections, programName, notes);
  const logSection = sections.log ?? {};
  const log = logChannel && {
    ...logChannel,
    maxMessages: positiveInteger(logSection['max.logs.per.message'] ?? String(DEFAULT_MAX_LOGS_PER_MESSAGE), 'log.max.logs.per.message'),
    level: (logSection['log.level'] ?? 'info').toLowerCase(),
  };
  return { ...(heartbeat && { heartbeat }), ...(log && { log }), notes };
}

function channel(
  name: 'heartbeat' | 'log',
  topic: unknown,
  programId: unknown,
  interval: unknown,
  defaultInterval: number,
  sections: ConfigSections,
  programName: string,
  notes: string[],
): TelemetryChannel | undefined {
  if (topic === undefined || topic === '') {
    if (sections[name]) notes.push(`the config has a [${name}] section but no --${name}_topic_name was given: no ${name} messages are sent (as in OpenMSIStream)`);
    return undefined;
  }
  const seconds = interval === undefined ? defaultInterval : Number(interval);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ConfigError('ERR_INVALID_OPTION', `--${name}_interval_secs must be a positive number of seconds, got "${String(interval)}"`, { option: `${name}_interval_secs` });
  }
  return {
    topic: String(topic),
    programId: programId === undefined || programId === '' ? defaultProgramId(programName) : String(programId),
    intervalMs: seconds * 1000,
    compression: sections[name]?.['compression.type'] ?? 'none',
  };
}

function positiveInteger(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('ERR_CONFIG_VALUE', `${option} must be a positive integer, got "${text}"`, { option });
  return n;
}
