/** `datafile-stream download-directory <output_dir>`: see DataFileDownloadDirectory. */
import { DataFileDownloadDirectory } from '../../programs/data-file-download-directory.js';

export function run(argv: string[]): Promise<number> {
  return DataFileDownloadDirectory.runFromCommandLine(argv);
}
