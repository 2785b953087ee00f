/**
 * S3TransferStreamProcessor (OpenMSIStream's program of that name): uploads every file
 * reconstructed from a topic to an S3 bucket, as `<topic>/<subdir>/<filename>`.
 *
 * In: verified files from the consumer pipeline (memory, disk or both mode). Out: one object per
 * file; success or a coded S3Error per attempt (the base class retries with backoff, then records
 * the file `failed`, keeps its bytes and moves on; a later run with the base class's
 * `--retry_failed` sends those again).
 *
 * Streaming: lib-storage's Upload sends a file that fits in one part with one PutObject and a
 * larger one as a multipart upload of `part_size` parts, `upload_concurrency` at a time. In disk
 * mode the bytes are read from the file on disk as the parts go out, so memory per file is about
 * (upload_concurrency + 1) x part_size whatever the file's size; in memory mode the parts are
 * views of the file's buffer.
 * Integrity: every request carries an `x-amz-checksum-sha256` the server verifies against what
 * it received (a mismatch is refused); the object's checksum the server reports at the end is
 * compared with the one computed here from the bytes sent (s3-part-checksums.ts), and bytes
 * re-read from disk are compared with the Kafka file hash. Nothing is downloaded again.
 * Idempotence: each object carries its file's SHA-512 as `x-amz-meta-file-sha512`; a file whose
 * object already holds that hash (an upload that finished just before a crash) is not sent twice.
 * Errors: ERR_S3_BUCKET_NAME and ERR_S3_CONFIG at construction; ERR_S3_UNREACHABLE or
 * ERR_S3_CONFIG from `run()` when the start-up check fails, before anything is consumed (no
 * group joined, no offset committed, no registry row); ERR_S3_UPLOAD per attempt, with
 * `reason` (s3-upload-error.ts).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { S3Error } from '../errors.js';
import { DataFileStreamProcessor, type ProcessorOptions } from './data-file-stream-processor.js';
import type { DownloadDataFile } from '../download-data-file.js';
import type { Lock } from '../processing/lock.js';
import type { ConsumerSummary } from './run-consumer.js';
import type { ArgumentDef, ParsedArguments } from './runnable.js';
import { checkPartSizeMb, checkS3Timeout, checkUploadConcurrency, MAX_PART_MB, MIN_PART_MB, S3_TRANSFER_DEFAULTS, validateS3TransferSettings, type S3TransferSettings } from '../s3/s3-transfer-options.js';
import { s3ClientOptions, type S3ClientSetup } from '../s3/s3-client-options.js';
import { s3ObjectKey } from '../s3/s3-object-key.js';
import { PartChecksums } from '../s3/s3-part-checksums.js';
import { classifyS3Failure, s3UploadError } from '../s3/s3-upload-error.js';
import { EXIT_STATUS_HELP } from '../exit-codes.js';

const MIB = 1024 * 1024;
export const FILE_HASH_METADATA = 'file-sha512';

export interface S3TransferOptions {
  bucketName: string;
  /** MiB per multipart part (default 8, at least 5). */
  partSizeMb?: number;
  /** Parts of one file in flight at once (default 2). */
  uploadConcurrency?: number;
  /** Seconds a request may sit idle before it fails (default 60). */
  s3Timeout?: number;
}

type S3Settings = S3TransferSettings;

export class S3TransferStreamProcessor extends DataFileStreamProcessor {
  readonly bucketName: string;
  readonly s3Settings: Readonly<S3Settings>;
  readonly s3Setup: S3ClientSetup;
  #client: S3Client | undefined;
  #warnedNoChecksum = false;

  constructor(args: ParsedArguments | (Partial<ProcessorOptions> & S3TransferOptions)) {
    // Settings and [s3] are checked before the base class creates LOGS/ and the log file, so a
    // bad bucket name or config is all the user sees.
    const { settings, base, config } = splitArguments(args);
    const s3Setup = s3ClientOptions(config, { socketTimeoutMs: settings.s3Timeout * 1000 });
    super(base);
    this.s3Settings = settings;
    this.bucketName = settings.bucketName;
    this.s3Setup = s3Setup;
    for (const warning of this.s3Setup.warnings) this.logger.warn({ config: this.s3Setup.configPath }, `config: ${warning}`);
  }

  static override getCommandLineArguments(): ArgumentDef[] {
    return [
      { name: 'bucket_name', type: 'string', positional: true, help: 'the S3 bucket files are uploaded to (it must exist)' },
      ...super.getCommandLineArguments(),
      { name: 'part_size', type: 'number', default: S3_TRANSFER_DEFAULTS.partSizeMb, check: checkPartSizeMb, help: `MiB per part of a multipart upload (${MIN_PART_MB} to ${MAX_PART_MB}); smaller files go in one request` },
      { name: 'upload_concurrency', type: 'number', default: S3_TRANSFER_DEFAULTS.uploadConcurrency, check: checkUploadConcurrency, help: 'parts of one file sent at once (memory per file is about (this + 1) x part_size)' },
      { name: 's3_timeout', type: 'number', default: S3_TRANSFER_DEFAULTS.s3Timeout, check: checkS3Timeout, help: 'seconds an S3 request may stay silent before it fails and is retried' },
    ];
  }

  static override getUsage(): string {
    return [
      'Usage: datafile-stream s3-transfer <bucket_name> [options]',
      '',
      'Uploads every file reconstructed from a topic to an S3 bucket as <topic>/<subdir>/<filename>',
      '(OpenMSIStream S3TransferStreamProcessor). The endpoint and credentials come from the [s3]',
      'section of --config: access_key_id, secret_key_id, endpoint_url, region ($VAR allowed).',
      'Each upload is checked with a SHA-256 checksum the server verifies. A file that fails every',
      'attempt is recorded as failed in LOGS/ and the stream moves on; --retry_failed sends it later.',
      'Type q + Enter (or send SIGINT/SIGTERM) to stop gracefully, c + Enter for counts.',
      EXIT_STATUS_HELP,
    ].join('\n');
  }

  /** The S3 client (made on first use, released by `close()`). */
  get s3Client(): S3Client {
    this.#client ??= new S3Client(this.s3Setup.clientConfig);
    return this.#client;
  }

  /** Releases the S3 client's sockets. */
  close(): void {
    this.#client?.destroy();
    this.#client = undefined;
  }

  override async run(signal?: AbortSignal): Promise<ConsumerSummary> {
    try {
      await this.#checkBucket();
      return await super.run(signal);
    } finally {
      this.close();
    }
  }

  async processDownloadedDataFile(file: DownloadDataFile): Promise<Error | undefined> {
    const key = s3ObjectKey(this.options.topicName, file);
    const existing = await this.#storedHash(file, key);
    if (existing instanceof Error) return existing;
    if (existing === file.fileHashHex) {
      this.logger.info({ key, bytes: file.size }, `already in s3://${this.bucketName}/${key} with the same SHA-512; not sent again`);
      return undefined;
    }
    const started = Date.now();
    const sent = await this.#upload(file, key);
    if (sent instanceof Error) return sent;
    if (sent.fromDisk && !sent.checksums.sha512.equals(file.fileHash)) {
      await this.s3Client.send(new DeleteObjectCommand({ Bucket: this.bucketName, Key: key })).catch(() => undefined);
      return new S3Error('ERR_S3_UPLOAD', `uploading s3://${this.bucketName}/${key} failed: ${file.fullFilepath} changed on disk after it was verified (SHA-512 of the bytes sent differs from the file hash); the object was deleted`, { bucket: this.bucketName, path: key, reason: 'source_changed' });
    }
    const wrong = this.#checkReported(key, sent);
    if (wrong) return wrong;
    const { bytes, parts, sha256 } = sent.checksums;
    this.logger.info({ key, bytes, parts, ms: Date.now() - started, sha256 }, `uploaded s3://${this.bucketName}/${key}`);
    return undefined;
  }

  #fail(err: unknown, key: string, action: string): S3Error {
    return s3UploadError(err, { bucket: this.bucketName, key, endpoint: this.s3Setup.endpoint, action });
  }

  /** The SHA-512 stored with an object of the same size at `key`, undefined if none, or the error to report. */
  async #storedHash(file: DownloadDataFile, key: string): Promise<string | undefined | S3Error> {
    try {
      const head = await this.s3Client.send(new HeadObjectCommand({ Bucket: this.bucketName, Key: key }));
      return head.ContentLength === file.size ? head.Metadata?.[FILE_HASH_METADATA] : undefined;
    } catch (err) {
      // Absent, or not allowed to read (a write-only key): go on and upload. Anything else
      // (server down, timeout) would fail the upload the same way; report it now.
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      return status === 404 || status === 403 ? undefined : this.#fail(err, key, 'checking');
    }
  }

  /** Sends the file (from disk as a stream, or its bytes), hashing what is sent. */
  async #upload(file: DownloadDataFile, key: string): Promise<{ checksums: ReturnType<PartChecksums['result']>; reported: string | undefined; fromDisk: boolean } | S3Error> {
    const partSize = this.s3Settings.partSizeMb * MIB;
    const checksums = new PartChecksums(partSize);
    const fromDisk = !file.inMemory && file.fullFilepath !== undefined;
    let body: Buffer | Readable;
    if (fromDisk) {
      body = Readable.from(checksums.hashing(createReadStream(file.fullFilepath!, { highWaterMark: MIB })), { objectMode: false });
    } else {
      body = await file.read();
      checksums.update(body);
    }
    try {
      const upload = new Upload({
        client: this.s3Client,
        partSize,
        queueSize: this.s3Settings.uploadConcurrency,
        leavePartsOnError: false,
        params: {
          Bucket: this.bucketName,
          Key: key,
          Body: body,
          ContentLength: file.size,
          ContentType: 'application/octet-stream',
          ChecksumAlgorithm: 'SHA256',
          Metadata: { [FILE_HASH_METADATA]: file.fileHashHex },
        },
      });
      const result = await upload.done();
      return { checksums: checksums.result(), reported: result.ChecksumSHA256, fromDisk };
    } catch (err) {
      return err instanceof S3Error ? err : this.#fail(err, key, 'uploading');
    } finally {
      if (body instanceof Readable) body.destroy();
    }
  }

  /** The server's checksum of the stored object against the bytes sent: an error if they differ. */
  #checkReported(key: string, sent: { checksums: ReturnType<PartChecksums['result']>; reported: string | undefined }): S3Error | undefined {
    if (sent.reported === undefined) {
      if (!this.#warnedNoChecksum) {
        this.#warnedNoChecksum = true;
        this.logger.warn({ endpoint: this.s3Setup.endpoint }, 'the S3 endpoint does not report object checksums: each request was still checked by the SDK, but the stored object could not be compared with the bytes sent');
      }
    } else if (sent.reported !== sent.checksums.sha256) {
      return new S3Error('ERR_S3_UPLOAD', `uploading s3://${this.bucketName}/${key} failed: the server reports SHA-256 ${sent.reported} for the object, the bytes sent give ${sent.checksums.sha256}`, { bucket: this.bucketName, path: key, reason: 'checksum' });
    }
    return undefined;
  }

  override async failedProcessingCallback(file: DownloadDataFile, _lock?: Lock): Promise<void> {
    this.logger.error({ file: file.relativeFilepath, bucket: this.bucketName }, `${file.relativeFilepath} was not transferred and is recorded as failed; run again with --retry_failed (same --output_dir and --consumer_group_id) to send it`);
  }

  /**
   * The start-up check, before anything is read from Kafka. A run whose endpoint is unreachable,
   * whose bucket does not exist or whose credentials are refused would otherwise read every
   * file, fail each one, commit past them and leave the user to --retry_failed them all, so it
   * stops here: ERR_S3_UNREACHABLE (nothing answered, it stopped answering, or it answered 5xx)
   * or ERR_S3_CONFIG (no such bucket, unknown key or wrong secret, any other refusal). A valid
   * key that may not list the bucket (AccessDenied) goes on with a warning: write-only keys are a
   * legitimate setup, and the uploads will say if they cannot write either.
   * ListObjectsV2 rather than HeadBucket: an answer to HEAD has no body, so a 403 there cannot
   * tell a wrong secret from a missing permission; a GET's error carries the S3 code.
   */
  async #checkBucket(): Promise<void> {
    const context = { bucket: this.bucketName, endpoint: this.s3Setup.endpoint, action: 'checking' };
    try {
      await this.s3Client.send(new ListObjectsV2Command({ Bucket: this.bucketName, MaxKeys: 1 }));
      return;
    } catch (err) {
      const failure = s3UploadError(err, context);
      const { reason, s3Code, status: httpStatus } = classifyS3Failure(err);
      if (reason === 'access_denied' && !BAD_CREDENTIALS.has(s3Code ?? '')) {
        this.logger.warn({ code: failure.code, reason, s3Code }, `${failure.message}. The key may be write-only: going on, and uploads will fail if it cannot write either`);
        return;
      }
      const code = reason === 'unreachable' || reason === 'timeout' || reason === 'server' ? 'ERR_S3_UNREACHABLE' : 'ERR_S3_CONFIG';
      throw new S3Error(code, `${failure.message}. s3-transfer stopped before reading anything from Kafka`, { bucket: this.bucketName, endpoint: this.s3Setup.endpoint, reason, s3Code, httpStatus, config: this.s3Setup.configPath }, err);
    }
  }
}

/** S3 codes of a request signed with a key the server does not know, or with the wrong secret. */
const BAD_CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken']);

function splitArguments(args: ParsedArguments | (Partial<ProcessorOptions> & S3TransferOptions)): { settings: Readonly<S3Settings>; base: ParsedArguments | Partial<ProcessorOptions>; config: string } {
  if ('help' in args || 'bucket_name' in args) {
    const a = args as ParsedArguments;
    const given = (name: string): number | undefined => (a[name] === undefined ? undefined : Number(a[name]));
    const settings = validateS3TransferSettings({ bucketName: String(a.bucket_name ?? ''), partSizeMb: given('part_size'), uploadConcurrency: given('upload_concurrency'), s3Timeout: given('s3_timeout') });
    return { settings, base: a, config: String(a.config ?? 'local') };
  }
  const { bucketName, partSizeMb, uploadConcurrency, s3Timeout, ...base } = args as Partial<ProcessorOptions> & S3TransferOptions;
  return { settings: validateS3TransferSettings({ bucketName, partSizeMb, uploadConcurrency, s3Timeout }), base, config: base.config ?? 'local' };
}
