/**
 * SHA-512, the only digest of the wire format (SPEC §2): 64 raw bytes per chunk and per file.
 * `sha512` digests one buffer; `Sha512Stream`-style incremental hashing uses node:crypto directly.
 */
import { createHash, type Hash } from 'node:crypto';

export const HASH_BYTES = 64;

export function sha512(data: Uint8Array): Buffer {
  return createHash('sha512').update(data).digest();
}

export function newFileHash(): Hash {
  return createHash('sha512');
}

/** SHA-512 of no bytes: the file hash and chunk hash of an empty file. */
export const EMPTY_SHA512: Buffer = sha512(Buffer.alloc(0));
