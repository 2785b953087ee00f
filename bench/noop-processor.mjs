/**
 * The memory-mode subject of the benchmark: a DataFileStreamProcessor that does nothing with a
 * file. The bench times it by its group's committed offsets (bench/group-clock.ts), like every
 * other consumer, so it prints nothing.
 *
 * Run by the built CLI: `node dist/bin/datafile-stream.js process bench/noop-processor.mjs
 * --mode memory ...`. It imports the built library, because `process` checks that the class
 * extends the very DataFileStreamProcessor the CLI loaded.
 */
import { DataFileStreamProcessor } from '../dist/lib/index.js';

export default class BenchNoopProcessor extends DataFileStreamProcessor {
  async processDownloadedDataFile() {
    return undefined;
  }
}
