/**
 * The memory-mode subject of the benchmark: a DataFileStreamProcessor that does nothing with a
 * file but say on stdout that it got one, so the benchmark can time the moment the last file of
 * a topic was handed to processing.
 *
 * Run by the built CLI: `node dist/bin/datafile-stream.js process bench/noop-processor.mjs
 * --mode memory ...`. It imports the built library, because `process` checks that the class
 * extends the very DataFileStreamProcessor the CLI loaded.
 */
import { DataFileStreamProcessor } from '../dist/lib/index.js';

export default class BenchNoopProcessor extends DataFileStreamProcessor {
  #files = 0;

  async processDownloadedDataFile(file) {
    this.#files++;
    process.stdout.write(`bench-file ${this.#files} ${file.size}\n`);
    return undefined;
  }
}
