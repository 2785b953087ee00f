/**
 * Record values for the uploader's second read, used again once the broker acknowledged them.
 *
 * Why: a fresh 512 KiB buffer per chunk costs its page faults (the kernel zero-fills each new
 * page the read lands in) and adds to the external memory that drives V8's full collections.
 * A value given back is one whose batch the broker acknowledged, so nothing reads it any more
 * (both engines copy a value before sending it); a value whose batch failed is never given
 * back, as the client may still hold it.
 *
 * Memory: at most `maxBuffers` idle buffers (default 8, 4 MiB at the default chunk size); the
 * bytes in flight stay bounded by the ChunkProducer's budget, as before. Buffers below
 * MIN_POOLED_BYTES are not kept (Node's shared slab serves those).
 */
export const MIN_POOLED_BYTES = 64 * 1024;

export class RecordPool {
  readonly #free: Buffer[] = [];
  readonly #maxBuffers: number;

  constructor(maxBuffers = 8) {
    this.#maxBuffers = maxBuffers;
  }

  get idle(): number {
    return this.#free.length;
  }

  /** `bytes` bytes whose content is undefined: a view of an idle buffer big enough, or a new one. */
  take(bytes: number): Buffer {
    while (this.#free.length > 0) {
      const buffer = this.#free.pop()!;
      if (buffer.length >= bytes) return buffer.subarray(0, bytes);
    }
    return Buffer.allocUnsafe(bytes);
  }

  /** Takes back a value from `take` that nothing reads any more. */
  give(value: Buffer): void {
    // Only a buffer that owns its whole ArrayBuffer is kept: a slab slice shares it with others.
    if (value.byteOffset !== 0 || value.buffer.byteLength < MIN_POOLED_BYTES || this.#free.length >= this.#maxBuffers) return;
    this.#free.push(Buffer.from(value.buffer, 0, value.buffer.byteLength));
  }
}
