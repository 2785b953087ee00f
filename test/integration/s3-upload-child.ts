/**
 * Child process of s3-multipart.test.ts (not a test file): uploads one file from disk with
 * S3TransferStreamProcessor.processDownloadedDataFile, no Kafka involved, and prints
 * `{"baseline": rss, "peak": rss}` as JSON: the process's RSS after a warm-up upload of a small
 * file, and the highest RSS sampled (every 5 ms) while the big file was uploaded. The difference
 * is what the upload itself holds.
 *
 *   node --import tsx test/integration/s3-upload-child.ts <config> <bucket> <file> <part MiB> <concurrency>
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DownloadDataFile } from '../../lib/download-data-file.js';
import { S3TransferStreamProcessor } from '../../lib/programs/s3-transfer-stream-processor.js';

const [config, bucket, path, partMb, concurrency] = process.argv.slice(2) as [string, string, string, string, string];

async function onDisk(file: string): Promise<DownloadDataFile> {
  const hash = createHash('sha512');
  for await (const piece of createReadStream(file)) hash.update(piece as Buffer);
  const size = (await stat(file)).size;
  return new DownloadDataFile({ relativeFilepath: basename(file), subdirStr: '', filename: basename(file), fileHash: hash.digest(), nTotalChunks: 1, size, fileMtime: null, fullFilepath: file });
}

const processor = new S3TransferStreamProcessor({ bucketName: bucket, config, topicName: `rss-${process.pid}`, outputDir: join(dirname(path), 'child-out'), partSizeMb: Number(partMb), uploadConcurrency: Number(concurrency), loggerStreamLevel: 'silent', loggerFileLevel: 'silent' });
const warm = join(dirname(path), 'warm-up.bin');
await writeFile(warm, Buffer.alloc(Number(partMb) * 1024 * 1024 + 1, 7)); // two parts: every code path loaded
const warmError = await processor.processDownloadedDataFile(await onDisk(warm));
if (warmError) throw warmError;
const file = await onDisk(path);
global.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const error = await processor.processDownloadedDataFile(file);
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
processor.close();
if (error) throw error;
process.stdout.write(`${JSON.stringify({ baseline, peak })}\n`);
