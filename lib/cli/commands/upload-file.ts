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

export const uploadFileParser = new ArgumentParser(
  [
    { name: 'filepath', type: 'string', positional: true, help: 'the file to upload' },
    ...UPLOAD_ARGUMENTS,
    LOGGER_STREAM_LEVEL_ARGUMENT,
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
  const connected = await connectProducer(args, logger);
  let bytesSent = 0;
  let filesDone = 0;
  const progress = new UploadProgress();
  const endProgress = showProgress(stderrProgressLine(), () => progress.line({ filesDone, inProgress: 1 - filesDone, bytesSent }));
  try {
    const result = await uploadFile(connected.chunks, path, {
      chunkSize,
      legacy: args.legacy === true,
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
