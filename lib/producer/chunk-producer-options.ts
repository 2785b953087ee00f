/**
 * The ChunkProducer's batching and memory bound: a type, its frozen defaults (OpenMSIStream's
 * batch.size and linger.ms) and one check per option, run once in the constructor and by
 * upload's `--queue_max_size` (in MiB) too.
 *
 * In: a partial options object (undefined takes the default). Out: the complete, frozen limits,
 * or an UploadError `ERR_INVALID_OPTION` whose context names the `option`.
 */
import { UploadError, type ErrorContext } from '../errors.js';
import { numberRule } from '../config/option-values.js';

export interface ChunkProducerLimits {
  /** Bytes of record values queued or unacknowledged before `send` waits. */
  maxBytesInFlight: number;
  /** Target bytes per produce request. */
  batchBytes: number;
  /** How long a partial batch waits for company, in ms. */
  lingerMs: number;
  /** Acks required: -1 all in-sync replicas, 1 leader, 0 none. */
  acks: number;
  /**
   * Batches handed to the client and not yet acknowledged; later full batches wait, unencoded.
   * Each one costs about twice its bytes again in the client's copies (the request it encodes
   * is kept until the broker answers), which `maxBytesInFlight` does not count.
   */
  maxRequestsInFlight: number;
}

const MEBIBYTE = 1024 * 1024;

export const CHUNK_PRODUCER_DEFAULTS: Readonly<ChunkProducerLimits> = Object.freeze({
  // Values queued behind a slow broker: 64 MiB of them took a 1 GiB upload's RSS past 220 MiB;
  // 16 MiB is eight batches, several times what two requests in flight need.
  maxBytesInFlight: 16 * MEBIBYTE,
  batchBytes: 2_000_000,
  lingerMs: 100,
  acks: -1,
  // A broker answers one connection's requests in order, one at a time: a third request only
  // waits in a socket buffer, with its copies, while two keep the broker busy.
  maxRequestsInFlight: 2,
});

const invalid = (message: string, context: ErrorContext): UploadError => new UploadError('ERR_INVALID_OPTION', message, context);
const wholeAtLeastOne = (n: number): boolean => Number.isSafeInteger(n) && n >= 1;

export const checkMaxBytesInFlight = numberRule('a whole number of bytes >= 1', wholeAtLeastOne, invalid);
/** The same bound in the unit the command line takes (`--queue_max_size 64`). */
export const checkQueueMaxMebibytes = numberRule('a whole number of MiB >= 1', wholeAtLeastOne, invalid);
export const checkBatchBytes = numberRule('a whole number of bytes >= 1', wholeAtLeastOne, invalid);
export const checkLingerMs = numberRule('a number of milliseconds >= 0', (n) => Number.isFinite(n) && n >= 0, invalid);
export const checkAcks = numberRule('-1, 0 or 1', (n) => n === -1 || n === 0 || n === 1, invalid);
export const checkMaxRequestsInFlight = numberRule('a whole number >= 1', wholeAtLeastOne, invalid);

/** `--queue_max_size`'s default, in MiB. */
export const DEFAULT_QUEUE_MAX_MEBIBYTES = CHUNK_PRODUCER_DEFAULTS.maxBytesInFlight / MEBIBYTE;

export function validateChunkProducerLimits(options: Partial<ChunkProducerLimits>): Readonly<ChunkProducerLimits> {
  const d = CHUNK_PRODUCER_DEFAULTS;
  return Object.freeze({
    maxBytesInFlight: checkMaxBytesInFlight(options.maxBytesInFlight ?? d.maxBytesInFlight, 'maxBytesInFlight'),
    batchBytes: checkBatchBytes(options.batchBytes ?? d.batchBytes, 'batchBytes'),
    lingerMs: checkLingerMs(options.lingerMs ?? d.lingerMs, 'lingerMs'),
    acks: checkAcks(options.acks ?? d.acks, 'acks'),
    maxRequestsInFlight: checkMaxRequestsInFlight(options.maxRequestsInFlight ?? d.maxRequestsInFlight, 'maxRequestsInFlight'),
  });
}
