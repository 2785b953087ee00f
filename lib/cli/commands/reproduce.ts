/**
 * `datafile-stream reproduce <module> [--class Name] [reproducer options]`: loads the user's
 * DataFileStreamReproducer (or MetadataJSONReproducer) subclass as `process` loads a processor
 * (the module's default export, or --class) and runs it with the remaining arguments.
 *
 * Refused before anything connects: a module that does not load (ERR_PROCESSOR_LOAD), a class
 * that is not a reproducer, or one that lacks the method computing its result
 * (ERR_PROCESSOR_INVALID).
 */
import { resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import { DataFileStreamReproducer } from '../../programs/data-file-stream-reproducer.js';
import { MetadataJSONReproducer } from '../../programs/metadata-json-reproducer.js';
import { ArgumentParser } from '../../programs/runnable.js';
import { readHelp } from '../read-help.js';
import { loadProcessor, splitClassArgument } from './process.js';

export async function run(argv: string[]): Promise<number> {
  const [modulePath, ...rest] = argv;
  if (modulePath === undefined || modulePath === '--help' || modulePath === '-h') {
    process.stdout.write(new ArgumentParser(DataFileStreamReproducer.getCommandLineArguments(), readHelp('reproduce').trimEnd()).help());
    return modulePath === undefined ? 2 : 0;
  }
  if (modulePath.startsWith('-')) {
    throw new ConfigError('ERR_INVALID_ARGUMENT', `the first argument is the reproducer module (a .js, .mjs, .ts or .mts file), got ${modulePath} (see --help)`);
  }
  const { className, args } = splitClassArgument(rest);
  const path = resolve(modulePath);
  const Reproducer = await loadProcessor(path, className);
  if (!(Reproducer.prototype instanceof DataFileStreamReproducer)) {
    throw new ConfigError('ERR_PROCESSOR_INVALID', `${Reproducer.name} (${path}) is a DataFileStreamProcessor, not a DataFileStreamReproducer: run it with \`datafile-stream process\``, { path, className: Reproducer.name });
  }
  const method = Reproducer.prototype instanceof MetadataJSONReproducer ? 'getMetadataDictForFile' : 'getProcessingResultMessageForFile';
  if (typeof (Reproducer.prototype as unknown as Record<string, unknown>)[method] !== 'function') {
    throw new ConfigError('ERR_PROCESSOR_INVALID', `${Reproducer.name} (${path}) does not define ${method}(file, lock), which computes its result message`, { path, className: Reproducer.name, method });
  }
  return Reproducer.runFromCommandLine(args);
}
