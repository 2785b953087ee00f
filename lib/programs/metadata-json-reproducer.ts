/**
 * MetadataJSONReproducer: a DataFileStreamReproducer whose user method returns a plain object,
 * produced as JSON byte for byte as OpenMSIStream's MetadataJSONReproducer writes it (Python's
 * `json.dumps` with its default separators `, ` and `: ` and ASCII escapes; lib/codec/python-json.ts):
 *
 *   class MyMetadata extends MetadataJSONReproducer {
 *     async getMetadataDictForFile(file) { return { name: file.filename, size: file.size }; }
 *   }
 *
 * Anything but a plain object (an array, a string, nothing), a throw, or a value JSON cannot hold
 * (NaN, a cycle) means the result could not be computed, as OpenMSIStream treats a non-dict.
 */
import type { DownloadDataFile } from '../download-data-file.js';
import { pythonJsonDumps } from '../codec/python-json.js';
import type { Lock } from '../processing/lock.js';
import { DataFileStreamReproducer } from './data-file-stream-reproducer.js';

export abstract class MetadataJSONReproducer extends DataFileStreamReproducer {
  /** The file's metadata as a plain object (produced as JSON); throw when it cannot be extracted. */
  abstract getMetadataDictForFile(file: DownloadDataFile, lock: Lock): Promise<Record<string, unknown>> | Record<string, unknown>;

  async getProcessingResultMessageForFile(file: DownloadDataFile, lock: Lock): Promise<string | Error> {
    const metadata: unknown = await this.getMetadataDictForFile(file, lock);
    if (!isPlainObject(metadata)) {
      const what = metadata === null ? 'null' : Array.isArray(metadata) ? 'an array' : typeof metadata;
      return new Error(`getMetadataDictForFile returned ${what}, not a plain object`);
    }
    return pythonJsonDumps(metadata);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
