/**
 * kafkajs's request Encoder grows its buffer with `Buffer.alloc`, which zero-fills every new
 * buffer before the old bytes are copied over it. A produce request passes each record value
 * through about ten such buffers (record, record set, batch body, batch, partition, topic,
 * request), so on upload zero-filling was about 2 s of main-thread time per 512 MiB sent.
 *
 * `useUnzeroedEncoderGrowthInKafkajs()` replaces `Encoder.prototype.ensureAvailable` of kafkajs
 * 2.2.4 (`src/protocol/encoder.js`) with the same growth rule using `Buffer.allocUnsafe`. Safe
 * because the Encoder never exposes bytes it has not written: its `buffer` is
 * `buf.slice(0, offset)` and every write lands at `offset` (test/kafka/encoder-growth.test.ts).
 * If the class is not found or has another shape, nothing is changed.
 */
import { createRequire } from 'node:module';

interface EncoderClass {
  nextPowerOfTwo(value: number): number;
  prototype: { ensureAvailable(this: EncoderInstance, length: number): void };
}
interface EncoderInstance {
  buf: Buffer;
  offset: number;
}

const KAFKAJS_ENCODER = 'kafkajs/src/protocol/encoder.js';
let installed = false;

/** True once kafkajs's Encoder grows without zero-filling (idempotent). */
export function useUnzeroedEncoderGrowthInKafkajs(): boolean {
  if (installed) return true;
  let Encoder: EncoderClass;
  try {
    Encoder = createRequire(import.meta.url)(KAFKAJS_ENCODER) as EncoderClass;
  } catch {
    return false;
  }
  if (typeof Encoder?.nextPowerOfTwo !== 'function' || typeof Encoder.prototype?.ensureAvailable !== 'function') return false;
  Encoder.prototype.ensureAvailable = function ensureAvailable(this: EncoderInstance, length: number): void {
    if (this.offset + length <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  installed = true;
  return true;
}
