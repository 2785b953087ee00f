/**
 * CRC-32C for noticing that a file changed between the uploader's two reads (file-chunker.ts):
 * the first read records one per chunk beside the chunk's SHA-512, the second read computes only
 * this and compares. Native (`@node-rs/crc32`, the CPU's CRC instructions): about an eighth of a
 * SHA-512's cost (0.19 s against 1.5 s per 512 MiB on the benchmark machine), so it runs on the
 * main thread without a trip to a worker.
 *
 * Not a security check: it guards against the file being rewritten by its owner while it is sent,
 * not against an adversary. Undefined when the native module has no build for this platform; the
 * chunker then compares SHA-512 on the second read, as it did before.
 * `initial` continues a CRC over bytes that arrive in pieces.
 */
import { createRequire } from 'node:module';

export type Crc32c = (data: Uint8Array, initial?: number) => number;

function loadNative(): Crc32c | undefined {
  try {
    return (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: Crc32c }).crc32c;
  } catch {
    return undefined;
  }
}

export const chunkCrc32c: Crc32c | undefined = loadNative();
