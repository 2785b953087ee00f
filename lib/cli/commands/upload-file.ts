/**
 * `datafile-stream upload-file <filepath>` (OpenMSIStream's UploadDataFile): chunk one file,
 * produce every chunk, wait for the broker's acknowledgements, exit 0. On a TTY a status line
 * shows the MiB sent and the recent rate.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../log/create-logger.js';
import { showProgress, stderrProgressLine } from '../../log/progress-line.js';
import { uploadFile } from '../../producer/upload-file.js';
import { UploadProgress } from '../../producer/upload-progress.js';
import { EXIT_STATUS_HELP } from '../../exit-codes.js';
import { ArgumentParser, LOGGER_STREAM_LEVEL_ARGUMENT } from '../../programs/runnable.js';
import { connectProducer, UPLOAD_ARGUMENTS } from './upload-options.js';
import { TELEMETRY_ARGUMENTS, withTelemetry } from '../../programs/telemetry-arguments.js';
import { currentTelemetry } from '../../telemetry/start-telemetry.js';
import { UPLOADER_COUNTERS } from '../../telemetry/telemetry-messages.js';
import type { Logger } from 'pino';
import type { ParsedArguments } from '../../programs/runnable.js';

export const uploadFileParser = new ArgumentParser(
  [
    { name: 'filepath', type: 'string', positional: true, help: 'the file to upload' },
    ...UPLOAD_ARGUMENTS,
    LOGGER_STREAM_LEVEL_ARGUMENT,
    ...TELEMETRY_ARGUMENTS,
  ],
  'Usage: datafile-stream upload-file <filepath> [options]\n\nChunks one file and produces it to a Kafka topic (OpenMSIStream UploadDataFile), then exits.\n' + EXIT_STATUS_HELP,
);

export async function run(argv: string[]): Promise<number> {
  const args = uploadFileParser.parse(argv);
  if (args.help) {
    process.stdout.write(uploadFileParser.help());
    return 0;
  }
  const chunkSize = Number(args.chunk_size);
  const path = resolve(String(args.filepath));
  // Before connecting: a wrong path is a usage error, not a broker round trip.
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ConfigError('ERR_INVALID_ARGUMENT', `${path} does not exist`, { path });
  if (!info.isFile()) throw new ConfigError('ERR_INVALID_ARGUMENT', `${path} is not a regular file`, { path });
  const logger = createLogger({ name: 'UploadDataFile', streamLevel: String(args.logger_stream_level) });
  return withTelemetry(args, 'UploadDataFile', logger, UPLOADER_COUNTERS, () => upload(args, path, chunkSize, logger));
}

async function upload(args: ParsedArguments, path: string, chunkSize: number, logger: Logger): Promise<number> {
  const connected = await connectProducer(args, logger);
  const acked = { chunks: 0, bytes: 0 };
  // OpenMSIStream's UploadDataFile sends no heartbeats; an uploader's counters are the natural ones.
  currentTelemetry()?.setCounts(() => ({ n_messages_produced: acked.chunks, n_bytes_produced: acked.bytes }));
  let bytesSent = 0;
  let filesDone = 0;
  const progress = new UploadProgress();
  const endProgress = showProgress(stderrProgressLine(), () => progress.line({ filesDone, inProgress: 1 - filesDone, bytesSent }));
  try {
    const result = await uploadFile(connected.chunks, path, {
      chunkSize,
      legacy: args.legacy === true,
      onAcked: (_chunkI, bytes) => {
        acked.chunks++;
        acked.bytes += bytes;
      },
      onChunk: (bytes) => {
        bytesSent += bytes;
      },
    });
    filesDone = 1;
    endProgress();
    logger.info({ file: path, topic: connected.topic, bytes: result.size, chunks: result.nChunks }, 'uploaded');
    return 0;
  } finally {
    endProgress();
    await connected.close();
  }
}
