/**
 * startTelemetry: turns a program's flags and config into its ProgramTelemetry, or undefined
 * when neither a heartbeat nor a log topic was asked for. The one running instance is kept
 * here (`currentTelemetry()`), as the process keeps one status line: the program's parts that
 * count (the consumer run, an uploader) find it without threading it through every layer.
 *
 * Errors: a config that cannot be read or asks for KafkaCrypto throws the same coded errors the
 * program itself would; nothing here connects synchronously or blocks on the broker.
 */
import type { Logger } from 'pino';
import { loadConfig } from '../config/config-file.js';
import { kafkaFromConfig } from '../kafka/kafka-from-config.js';
import type { CompressionName } from '../kafka/compression.js';
import { addLogStream } from '../log/add-log-stream.js';
import { ProgramTelemetry } from './program-telemetry.js';
import { telemetrySettings, type TelemetryFlags } from './telemetry-options.js';

export interface StartTelemetryOptions {
  /** The --config name or path. */
  config: string;
  flags: TelemetryFlags;
  /** OpenMSIStream's class name of the program (the default program id starts with it). */
  programName: string;
  logger: Logger;
  /** The counters the heartbeats carry (UPLOADER_COUNTERS or CONSUMER_COUNTERS). */
  counters: readonly string[];
  engine?: string | undefined;
  allowPlaintext?: boolean;
}

let current: ProgramTelemetry | undefined;

export function currentTelemetry(): ProgramTelemetry | undefined {
  return current;
}

export function startTelemetry(o: StartTelemetryOptions): ProgramTelemetry | undefined {
  const sections = loadConfig(o.config, process.env, { expand: [] }).sections;
  const settings = telemetrySettings(o.flags, sections, o.programName);
  for (const note of settings.notes) o.logger.info(note);
  if (!settings.heartbeat && !settings.log) return undefined;
  // The client's own entries stay out of the program's log (and so out of the log topic, which
  // would otherwise carry the telemetry producer's retries about itself); failures are reported
  // by ProgramTelemetry, once per streak.
  const quiet = o.logger.child({ component: 'telemetry' }, { level: 'silent' });
  // One producer sends both kinds, and on librdkafka a producer has one codec: the heartbeat
  // section's (else the log section's) serves both topics.
  const compression = (settings.heartbeat ?? settings.log)!.compression as CompressionName;
  const oneCodec = {
    ...settings,
    ...(settings.heartbeat && { heartbeat: { ...settings.heartbeat, compression } }),
    ...(settings.log && { log: { ...settings.log, compression } }),
  };
  const { kafka } = kafkaFromConfig(o.config, 'producer', quiet, { engine: o.engine, allowPlaintext: o.allowPlaintext === true, compression });
  const telemetry = new ProgramTelemetry(oneCodec, kafka, o.logger.child({ component: 'telemetry' }), o.counters);
  const logs = telemetry.logStream();
  if (logs) addLogStream(o.logger, logs.level, logs.stream);
  for (const [kind, ch] of [['heartbeat', settings.heartbeat], ['log', settings.log]] as const) {
    if (ch) o.logger.info({ topic: ch.topic, programId: ch.programId }, `${kind} messages will be produced to the "${ch.topic}" topic every ${ch.intervalMs / 1000} seconds`);
  }
  current = telemetry;
  return telemetry;
}

/** Stops the running telemetry (the last heartbeat and log batch) and forgets it; a no-op without one. */
export async function stopTelemetry(): Promise<void> {
  const telemetry = current;
  current = undefined;
  await telemetry?.stop();
}
