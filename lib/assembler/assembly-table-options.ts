/**
 * Limits of the AssemblyTable: a type, its defaults and the one validator the constructor runs.
 *
 * In: a partial options object from the caller (flags, config, tests). Out: a complete, frozen
 * options object, or an AssemblyError `ERR_INVALID_OPTION` whose context names the `option`.
 * Unknown keys are refused too: a misspelt limit silently falling back to its default is how a
 * consumer ends up accepting terabyte "chunks".
 */
import { AssemblyError } from '../errors.js';

export interface AssemblyTableOptions {
  /** Largest `data` of one chunk, in bytes (ERR_LIMIT_CHUNK_BYTES). */
  maxChunkBytes: number;
  /** Largest end offset (`chunk_offset_write + data.length`) of any chunk (ERR_LIMIT_FILE_BYTES). */
  maxFileBytes: number;
  /** Largest `n_total_chunks` of a file (ERR_LIMIT_CHUNK_COUNT). */
  maxChunksPerFile: number;
  /** Most files assembled at once (ERR_LIMIT_OPEN_FILES). */
  maxOpenFiles: number;
  /**
   * How many finished generations (relative path + file hash) are remembered so that chunks of
   * them arriving later are skipped as `already-finished` rather than opening a file that can
   * never complete. Oldest forgotten first; 0 remembers none.
   */
  rememberFinished: number;
}

export const ASSEMBLY_TABLE_DEFAULTS: Readonly<AssemblyTableOptions> = Object.freeze({
  maxChunkBytes: 16 * 1024 * 1024,
  maxFileBytes: 1024 ** 4,
  maxChunksPerFile: 10_000_000,
  maxOpenFiles: 10_000,
  rememberFinished: 10_000,
});

const MINIMUM: Record<keyof AssemblyTableOptions, number> = {
  maxChunkBytes: 1,
  maxFileBytes: 0,
  maxChunksPerFile: 1,
  maxOpenFiles: 1,
  rememberFinished: 0,
};

export function validateAssemblyTableOptions(options: Partial<AssemblyTableOptions> = {}): Readonly<AssemblyTableOptions> {
  if (options === null || typeof options !== 'object') {
    throw new AssemblyError('ERR_INVALID_OPTION', 'assembly table options must be an object', { option: 'options' });
  }
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(MINIMUM, name)) {
      throw new AssemblyError('ERR_INVALID_OPTION', `unknown assembly table option ${name}`, { option: name });
    }
  }
  const merged: AssemblyTableOptions = { ...ASSEMBLY_TABLE_DEFAULTS };
  for (const name of Object.keys(MINIMUM) as Array<keyof AssemblyTableOptions>) {
    const value = options[name] ?? ASSEMBLY_TABLE_DEFAULTS[name];
    if (!Number.isSafeInteger(value) || value < MINIMUM[name]) {
      throw new AssemblyError(
        'ERR_INVALID_OPTION',
        `${name} must be an integer >= ${MINIMUM[name]}, got ${String(value)}`,
        { option: name, value },
      );
    }
    merged[name] = value;
  }
  return Object.freeze(merged);
}
