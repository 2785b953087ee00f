/**
 * Every error this package throws or records carries a string `code` from this list.
 * Callers branch on `code`, never on message text. Context (topic, partition, offset, path, ...)
 * is enumerable so it survives JSON logging and registry rows.
 */

export const ERROR_CODES = [
  // codec: one value of a Kafka record that is not a valid DataFileChunk
  'ERR_CHUNK_NOT_BUFFER',
  'ERR_CHUNK_TRUNCATED',
  'ERR_CHUNK_TRAILING_BYTES',
  'ERR_CHUNK_NOT_ARRAY',
  'ERR_CHUNK_FIELD_COUNT',
  'ERR_CHUNK_FIELD_TYPE',
  'ERR_CHUNK_BAD_UTF8',
  'ERR_CHUNK_HASH_LENGTH',
  'ERR_CHUNK_INT_RANGE',
  'ERR_CHUNK_TOO_LARGE',
  'ERR_CHUNK_HASH_MISMATCH',
  'ERR_CHUNK_MALFORMED',
  'ERR_CHUNK_KEY_MISMATCH',
  'ERR_CHUNK_INVALID',
  // paths: a filename or subdir that would escape the output directory
  'ERR_UNSAFE_PATH',
  // assembly
  'ERR_FILE_HASH_MISMATCH',
  'ERR_LIMIT_CHUNK_BYTES',
  'ERR_LIMIT_FILE_BYTES',
  'ERR_LIMIT_CHUNK_COUNT',
  'ERR_LIMIT_OPEN_FILES',
  'ERR_BUDGET_EXCEEDED',
  'ERR_FILE_UNRECOVERABLE',
  // config and arguments
  'ERR_CONFIG_NOT_FOUND',
  'ERR_CONFIG_PARSE',
  'ERR_CONFIG_ENV_UNSET',
  'ERR_CONFIG_VALUE',
  'ERR_ENCRYPTION_UNSUPPORTED',
  'ERR_INVALID_OPTION',
  'ERR_INVALID_ARGUMENT',
  // a processor module that cannot be loaded, or a class that cannot be a processor
  'ERR_PROCESSOR_LOAD',
  'ERR_PROCESSOR_INVALID',
  // a program's constructor threw something other than a coded error
  'ERR_CONSTRUCTOR_FAILED',
  // producer
  'ERR_FILE_UNREADABLE',
  'ERR_FILE_VANISHED',
  'ERR_FILE_CHANGED',
  'ERR_TOPIC_MISSING',
  'ERR_PRODUCE_FAILED',
  // consumer / processing
  'ERR_PROCESSING_FAILED',
  'ERR_PROCESSING_TIMEOUT',
  // reproducers: a result message that could not be computed; an engine that cannot run transactions
  'ERR_RESULT_NOT_COMPUTED',
  'ERR_TRANSACTIONS_UNSUPPORTED',
  'ERR_REGISTRY_IO',
  'ERR_DISK_WRITE',
  'ERR_KAFKA',
  'ERR_KAFKA_UNREACHABLE',
  // the broker refused the SASL credentials; the TLS handshake failed or one side does not speak TLS
  'ERR_KAFKA_AUTH',
  'ERR_KAFKA_TLS',
  'ERR_OUTPUT_NOT_DIRECTORY',
  'ERR_OUTPUT_NOT_WRITABLE',
  'ERR_ABORTED',
  'ERR_HASH_WORKER',
  // local broker
  'ERR_BROKER_MISSING_TOOL',
  'ERR_BROKER_FETCH',
  'ERR_BROKER_START',
  'ERR_BROKER_TIMEOUT',
  // s3
  'ERR_S3_CONFIG',
  'ERR_S3_UNREACHABLE',
  'ERR_S3_BUCKET_NAME',
  'ERR_S3_UPLOAD',
  // install-service / uninstall-service: the unit file under /etc/systemd/system
  'ERR_SERVICE_NOT_ROOT',
  'ERR_SERVICE_NOT_FOUND',
  'ERR_SERVICE_FOREIGN',
  'ERR_SERVICE_IO',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorContext {
  topic?: string;
  partition?: number;
  offset?: string | number;
  path?: string;
  option?: string;
  [key: string]: unknown;
}

export class DataFileStreamError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    for (const [key, value] of Object.entries(context)) {
      if (value !== undefined) Object.defineProperty(this, key, { value, enumerable: true });
    }
  }

  toJSON(): Record<string, unknown> {
    return { ...(this as unknown as Record<string, unknown>), name: this.name, code: this.code, message: this.message };
  }
}

/** A Kafka record value or key that is not a valid chunk. */
export class ChunkDecodeError extends DataFileStreamError {}
/** A path that is unsafe to create under the output directory. */
export class UnsafePathError extends DataFileStreamError {}
/** Reassembly of a file failed or hit a configured limit. */
export class AssemblyError extends DataFileStreamError {}
/** A config file or command-line option is wrong. */
export class ConfigError extends DataFileStreamError {}
/** The uploader could not read or send a file. */
export class UploadError extends DataFileStreamError {}
/** Processing of a reconstructed file failed. */
export class ProcessingError extends DataFileStreamError {}
/** The local development broker could not be fetched, started or reached. */
export class BrokerError extends DataFileStreamError {}
/** An S3 transfer failed or is misconfigured. */
export class S3Error extends DataFileStreamError {}
/** A service unit could not be installed or removed. */
export class ServiceError extends DataFileStreamError {}

export function isCodedError(err: unknown): err is DataFileStreamError {
  return err instanceof DataFileStreamError;
}

export function errorCodeOf(err: unknown): string {
  if (err instanceof DataFileStreamError) return err.code;
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return 'ERR_UNKNOWN';
}
