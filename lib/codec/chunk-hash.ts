/**
 * SHA-512, the only digest of the wire format (SPEC §2): 64 raw bytes per chunk and per file.
 * `sha512` digests one buffer, `sha512Async` off the main thread; incremental hashing uses
 * node:crypto directly.
 */
import { createHash, webcrypto, type Hash } from 'node:crypto';

export const HASH_BYTES = 64;

/** Below this size a trip to the thread pool costs more than hashing inline. */
export const OFF_THREAD_MIN_BYTES = 64 * 1024;

export function sha512(data: Uint8Array): Buffer {
  return createHash('sha512').update(data).digest();
}

/**
 * SHA-512 on the libuv thread pool (WebCrypto's digest), so the main thread goes on decoding and
 * writing while chunks are verified; small inputs are hashed inline. The bytes must not change
 * until the promise settles.
 */
export async function sha512Async(data: Uint8Array): Promise<Buffer> {
  if (data.length < OFF_THREAD_MIN_BYTES) return sha512(data);
  return Buffer.from(await webcrypto.subtle.digest('SHA-512', data));
}

export function newFileHash(): Hash {
  return createHash('sha512');
}

/** SHA-512 of no bytes: the file hash and chunk hash of an empty file. */
export const EMPTY_SHA512: Buffer = sha512(Buffer.alloc(0));
