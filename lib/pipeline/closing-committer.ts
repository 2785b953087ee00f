/**
 * The OffsetCommitter as the composed pipeline's last stage: once it has made its last commit,
 * however the pipeline ends (input ended, stopped, or destroyed by an error), it runs the
 * pipeline's `close()` (disconnect the consumer, close the registry, the journal and the
 * rejected-records file) before it reports the end. So `pipeline()` settles only after
 * everything is closed, and an app that awaits it needs nothing else.
 */
import { OffsetCommitter, type OffsetCommitterOptions } from '../offsets/offset-committer.js';

export class ClosingCommitter extends OffsetCommitter {
  readonly #close: () => Promise<void>;

  constructor(options: OffsetCommitterOptions, close: () => Promise<void>) {
    super(options);
    this.#close = close;
  }

  override _final(callback: (error?: Error | null) => void): void {
    super._final((err) => {
      this.#close().then(() => callback(err), callback);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    super._destroy(error, (err) => {
      // After an error the last commit is still made: only settled records move the watermark.
      this.commitNow()
        .catch(() => undefined)
        .then(() => this.#close())
        .then(() => callback(err), () => callback(err));
    });
  }
}
