/**
 * DataFileDownloadDirectory (OpenMSIStream's program of that name): rebuilds every file of a
 * topic into a directory tree. The disk sink already puts each verified file at its final path,
 * so processing has nothing left to do; the registry records what arrived.
 */
import { DataFileStreamProcessor } from './data-file-stream-processor.js';
import type { DownloadDataFile } from '../download-data-file.js';
import type { ArgumentDef, ParsedArguments } from './runnable.js';
import type { ProcessorOptions } from './data-file-stream-processor.js';
import { EXIT_STATUS_HELP } from '../exit-codes.js';

export class DataFileDownloadDirectory extends DataFileStreamProcessor {
  constructor(args: ParsedArguments | Partial<ProcessorOptions> = {}) {
    super('help' in args ? { ...args, mode: 'disk' } : { ...args, mode: 'disk' });
  }

  static override getCommandLineArguments(): ArgumentDef[] {
    const inherited = super.getCommandLineArguments().filter((a) => a.name !== 'output_dir' && a.name !== 'mode' && a.name !== 'memory_budget');
    return [{ name: 'output_dir', type: 'string', positional: true, help: 'the directory to rebuild files into' }, ...inherited];
  }

  static override getUsage(): string {
    return 'Usage: datafile-stream download-directory <output_dir> [options]\n\nRebuilds every file of a topic into a directory tree (OpenMSIStream DataFileDownloadDirectory).\nFiles appear at their final paths only once complete and verified.\nType q + Enter (or send SIGINT/SIGTERM) to stop gracefully, c + Enter for counts.\n' + EXIT_STATUS_HELP;
  }

  async processDownloadedDataFile(file: DownloadDataFile): Promise<undefined> {
    this.logger.debug({ file: file.relativeFilepath, bytes: file.size }, 'file rebuilt');
    return undefined;
  }
}
