/**
 * SHA-512, the only digest of the wire format (SPEC §2): 64 raw bytes per chunk and per file.
 * `sha512` digests one buffer, `sha512Async` off the main thread; `runningHashFor` gives an
 * incremental hash, inline for small inputs and on a worker thread for big ones.
 */
import { createHash } from 'node:crypto';
import { OffThreadSha512, sha512OnWorker } from './off-thread-sha512.js';

export const HASH_BYTES = 64;

/** Below this size a trip to a worker thread costs more than hashing inline. */
export const OFF_THREAD_MIN_BYTES = 64 * 1024;

export function sha512(data: Uint8Array): Buffer {
  return createHash('sha512').update(data).digest();
}

/** Inputs up to this size go to the worker in one piece; bigger ones (whole files) in pieces this big. */
const ONE_PIECE_MAX_BYTES = 1024 * 1024;

/**
 * SHA-512 on a worker thread (off-thread-sha512.ts), so the main thread goes on decoding and
 * writing while chunks are verified; small inputs are hashed inline.
 */
export async function sha512Async(data: Uint8Array): Promise<Buffer> {
  if (data.length < OFF_THREAD_MIN_BYTES) return sha512(data);
  if (data.length <= ONE_PIECE_MAX_BYTES) return sha512OnWorker(data);
  const hash = new OffThreadSha512();
  for (let at = 0; at < data.length; at += ONE_PIECE_MAX_BYTES) await hash.update(data.subarray(at, at + ONE_PIECE_MAX_BYTES));
  return hash.digest();
}

/** An incremental SHA-512 kept inline or on a worker thread (the same calls either way). */
export interface RunningHash {
  update(data: Uint8Array): void | Promise<void>;
  digest(): Buffer | Promise<Buffer>;
  dispose(): void;
}

export function inlineHash(): RunningHash {
  const hash = createHash('sha512');
  return { update: (data) => void hash.update(data), digest: () => hash.digest(), dispose: () => undefined };
}

/**
 * Inline below OFF_THREAD_MIN_BYTES (`bytes`: the piece or file size the caller expects), on the
 * file worker or the chunk worker above.
 */
export function runningHashFor(bytes: number, role: 'files' | 'chunks' = 'files'): RunningHash {
  return bytes >= OFF_THREAD_MIN_BYTES ? new OffThreadSha512(role) : inlineHash();
}

/** SHA-512 of no bytes: the file hash and chunk hash of an empty file. */
export const EMPTY_SHA512: Buffer = sha512(Buffer.alloc(0));
