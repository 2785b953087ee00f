/**
 * The checksums an S3 upload is verified with, computed from the exact bytes handed to the
 * uploader, split at the same part boundaries lib-storage uses (every part `partSize` bytes but
 * the last; one part, sent as a single PutObject, when the file fits in one).
 *
 * - `sha256`: what the server must report for the finished object when each request carried an
 *   `x-amz-checksum-sha256`: base64(SHA-256(bytes)) for a single PUT, and for a multipart upload
 *   the composite base64(SHA-256(part digest 1 || ... || part digest N)) + `-N`. The server
 *   checks every request's checksum against what it received (refusing a mismatch) and builds
 *   this value from the parts it stored, so equality proves the object holds these bytes
 *   without downloading it.
 * - `sha512`: the SHA-512 of the same bytes, compared with the Kafka file hash when the bytes
 *   were re-read from disk, so the chain runs from the producer's file to the stored object.
 *
 * In: `update(bytes)` in order (or `hashing(source)` around an async iterable). Out: `result()`.
 * Memory: the digests' state only; nothing is buffered.
 */
import { createHash, type Hash } from 'node:crypto';

export interface PartChecksumResult {
  bytes: number;
  parts: number;
  /** The value S3 reports as ChecksumSHA256 for the object. */
  sha256: string;
  /** Raw SHA-512 digest of every byte. */
  sha512: Buffer;
}

export class PartChecksums {
  readonly #partSize: number;
  readonly #whole: Hash = createHash('sha512');
  readonly #partDigests: Buffer[] = [];
  #part: Hash = createHash('sha256');
  #inPart = 0;
  #bytes = 0;
  #sealed = false;

  constructor(partSize: number) {
    if (!Number.isSafeInteger(partSize) || partSize < 1) throw new RangeError(`partSize must be a positive integer, got ${partSize}`);
    this.#partSize = partSize;
  }

  update(data: Uint8Array): void {
    if (this.#sealed) throw new Error('PartChecksums: update() after result()');
    this.#whole.update(data);
    this.#bytes += data.byteLength;
    let at = 0;
    while (at < data.byteLength) {
      // A part is closed only when more bytes follow it, as lib-storage decides part boundaries.
      if (this.#inPart === this.#partSize) this.#closePart();
      const take = Math.min(this.#partSize - this.#inPart, data.byteLength - at);
      this.#part.update(data.subarray(at, at + take));
      this.#inPart += take;
      at += take;
    }
  }

  /** Passes `source` through unchanged, hashing each piece on the way. */
  async *hashing(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer> {
    for await (const piece of source) {
      const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      this.update(bytes);
      yield bytes;
    }
  }

  result(): PartChecksumResult {
    if (!this.#sealed) {
      this.#closePart();
      this.#sealed = true;
    }
    const parts = this.#partDigests.length;
    const sha256 = parts === 1 ? this.#partDigests[0]!.toString('base64') : `${createHash('sha256').update(Buffer.concat(this.#partDigests)).digest('base64')}-${parts}`;
    return { bytes: this.#bytes, parts, sha256, sha512: this.#whole.copy().digest() };
  }

  #closePart(): void {
    this.#partDigests.push(this.#part.digest());
    this.#part = createHash('sha256');
    this.#inPart = 0;
  }
}
