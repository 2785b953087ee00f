/**
 * `datafile-stream upload-directory <dir>` (OpenMSIStream's DataFileUploadDirectory): watch a
 * tree and upload new and changed files until stopped (`q`, SIGINT/SIGTERM) or, with
 * `--until_idle SECONDS`, until everything found was acknowledged and nothing changed for that
 * long.
 *
 * A stop ends in order (lib/producer/upload-directory.ts): no new file, the files in flight finish
 * or are left for the next run, then the producer and the registry close. Exit status: 128+n
 * after signal n, 4 when files failed, else 0 (lib/exit-codes.ts). The control listener stays
 * until everything is closed, so a second SIGINT during the shutdown still forces the exit.
 */
import { resolve, join } from 'node:path';
import { stat } from 'node:fs/promises';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../log/create-logger.js';
import { showProgress, stderrProgressLine } from '../../log/progress-line.js';
import { DirectoryUploader } from '../../producer/upload-directory.js';
import { UploadProgress } from '../../producer/upload-progress.js';
import { UploadRegistry } from '../../registry/upload-registry.js';
import { listenForControl } from '../../programs/control-input.js';
import { EXIT_STATUS_HELP, exitCodeOfRun } from '../../exit-codes.js';
import { ArgumentParser, LOGGER_ARGUMENTS, UPDATE_SECONDS_ARGUMENT } from '../../programs/runnable.js';
import type { Logger } from 'pino';
import { nonNegativeSeconds, regularExpressionText } from '../../config/option-values.js';
import { checkWatchdogLagTime, DIRECTORY_UPLOADER_DEFAULTS } from '../../producer/upload-directory-options.js';
import type { ParsedArguments } from '../../programs/runnable.js';
import { connectProducer, UPLOAD_ARGUMENTS, type ConnectedProducer } from './upload-options.js';
import { TELEMETRY_ARGUMENTS, withTelemetry } from '../../programs/telemetry-arguments.js';
import { currentTelemetry } from '../../telemetry/start-telemetry.js';
import { UPLOADER_COUNTERS } from '../../telemetry/telemetry-messages.js';

/**
 * Skip hidden files and `.log` files. (OpenMSIStream's default, `^((?!(\.|.*.log))).*$`, also
 * skips any name with "log" after its first character, such as `catalog.csv`; pass it with
 * --upload_regex to get exactly that behaviour.)
 */
export const DEFAULT_UPLOAD_REGEX = '^(?!\\.)(?!.*\\.log$).*$';

export const uploadDirectoryParser = new ArgumentParser(
  [
    { name: 'upload_dir', type: 'string', positional: true, help: 'the directory to watch' },
    ...UPLOAD_ARGUMENTS,
    { name: 'upload_regex', type: 'string', default: DEFAULT_UPLOAD_REGEX, check: regularExpressionText, help: 'only file names matching this regex are uploaded' },
    { name: 'upload_existing', type: 'boolean', default: false, help: 'also upload the files already there at start' },
    { name: 'watchdog_lag_time', type: 'number', default: DIRECTORY_UPLOADER_DEFAULTS.watchdogLagTime, check: checkWatchdogLagTime, help: 'seconds a file must stay unchanged before it is sent' },
    { name: 'use_polling_observer', type: 'boolean', default: false, help: 'accepted for OpenMSIStream compatibility (the tree is always polled)' },
    { name: 'until_idle', type: 'number', check: nonNegativeSeconds, help: 'stop once everything is acknowledged and nothing changed for this many seconds' },
    UPDATE_SECONDS_ARGUMENT,
    ...LOGGER_ARGUMENTS,
    ...TELEMETRY_ARGUMENTS,
  ],
  'Usage: datafile-stream upload-directory <upload_dir> [options]\n\nWatches a directory tree and uploads new and changed files (OpenMSIStream DataFileUploadDirectory).\nType q + Enter (or send SIGINT/SIGTERM) to stop, c + Enter for counts.\n' + EXIT_STATUS_HELP,
);

export async function run(argv: string[]): Promise<number> {
  const args = uploadDirectoryParser.parse(argv);
  if (args.help) {
    process.stdout.write(uploadDirectoryParser.help());
    return 0;
  }
  const root = resolve(String(args.upload_dir));
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new ConfigError('ERR_INVALID_ARGUMENT', `${root} is not a directory`, { path: root });
  // The parser checked every argument, before the log file is created or anything connects: a
  // usage error must neither leave LOGS/ behind nor a connected producer that keeps the process alive.
  const untilIdle = args.until_idle === undefined ? undefined : Number(args.until_idle);
  const logger = createLogger({
    name: 'DataFileUploadDirectory',
    streamLevel: String(args.logger_stream_level),
    fileLevel: String(args.logger_file_level),
    filePath: join(root, 'LOGS', 'DataFileUploadDirectory.log'),
    fileFormat: args.logger_file_format === 'json' ? 'json' : 'text',
  });
  return withTelemetry(args, 'DataFileUploadDirectory', logger, UPLOADER_COUNTERS, () => uploadDirectory(args, root, untilIdle, logger));
}

async function uploadDirectory(args: ParsedArguments, root: string, untilIdle: number | undefined, logger: Logger): Promise<number> {
  const { connected, registry, uploader } = await openUploader(args, root, logger);
  // OpenMSIStream's UploadDirectoryHeartbeatProducible counters.
  currentTelemetry()?.setCounts(() => ({ n_messages_produced: uploader.stats.chunksAcked, n_bytes_produced: uploader.stats.bytesAcked }));
  const control = listenForStop(uploader, logger, Number(args.update_seconds));
  logger.info({ dir: root, topic: connected.topic, uploadExisting: args.upload_existing === true }, 'watching for files to upload');
  const progress = new UploadProgress();
  const endProgress = showProgress(stderrProgressLine(), () => {
    const s = uploader.stats;
    return progress.line({ filesDone: s.filesUploaded, inProgress: s.inProgress, queued: s.queued, failed: s.filesFailed, bytesSent: s.bytesSent });
  });
  try {
    await uploader.run(control.signal, () => untilIdle !== undefined && uploader.idle(untilIdle));
  } finally {
    endProgress();
    await connected.close();
    await registry.close();
    control.dispose();
  }
  const s = uploader.stats;
  const left = s.queued + s.filesStopped;
  logger.info({ filesUploaded: s.filesUploaded, bytes: s.bytesUploaded, filesFailed: s.filesFailed, ...(left > 0 && { filesLeftForNextRun: left }) }, 'upload-directory finished');
  return exitCodeOfRun({ stoppedBy: control.stoppedBy(), failures: s.filesFailed });
}

/** The connected producer, the upload registry and the uploader over them; the producer is closed again if the registry cannot be opened. */
async function openUploader(args: ParsedArguments, root: string, logger: Logger): Promise<{ connected: ConnectedProducer; registry: UploadRegistry; uploader: DirectoryUploader }> {
  const connected = await connectProducer(args, logger);
  let registry: UploadRegistry;
  try {
    registry = await UploadRegistry.open({ dir: root, topic: connected.topic });
  } catch (err) {
    await connected.close();
    throw err;
  }
  const uploader = new DirectoryUploader({
    root,
    producer: connected.chunks,
    registry,
    logger,
    chunkSize: Number(args.chunk_size),
    uploadRegex: new RegExp(String(args.upload_regex)),
    uploadExisting: args.upload_existing === true,
    nThreads: Number(args.n_threads),
    watchdogLagTime: Number(args.watchdog_lag_time),
    legacy: args.legacy === true,
  });
  return { connected, registry, uploader };
}

/** `q`, SIGINT/SIGTERM stop the uploader (see the header); `c` and --update_seconds print its counts. */
function listenForStop(uploader: DirectoryUploader, logger: Logger, updateSeconds: number): { signal: AbortSignal; dispose: () => void; stoppedBy: () => string | undefined } {
  const stop = new AbortController();
  let stoppedBy: string | undefined;
  const dispose = listenForControl({
    stop: (reason) => {
      stoppedBy = reason;
      logger.info({ reason, inProgress: uploader.stats.inProgress }, 'stopping: no new files; the files in flight finish or are left for the next run');
      stop.abort();
    },
    check: () => {
      const s = uploader.stats;
      return `files uploaded: ${s.filesUploaded} (${(s.bytesUploaded / 1048576).toFixed(1)} MiB), failed: ${s.filesFailed}, in progress: ${s.inProgress}, queued: ${s.queued}\nrecent: ${s.recent.join(', ') || '(none)'}`;
    },
    updateSeconds,
    update: (counts) => logger.info(counts),
  });
  return { signal: stop.signal, dispose, stoppedBy: () => stoppedBy };
}
