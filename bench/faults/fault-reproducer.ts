/**
 * The reproducer the fault matrix runs (`datafile-stream reproduce bench/faults/fault-reproducer.ts`):
 * each rebuilt file's result is `{"path": ..., "size": ..., "sha512": ...}`, produced as JSON, so
 * the oracle can check every committed result against the bytes that were uploaded. SLOW_MS
 * delays every result (paces a run so kills land mid-stream, as fault-processor.ts does).
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetadataJSONReproducer, type DownloadDataFile } from '../../lib/index.js';

export default class FaultReproducer extends MetadataJSONReproducer {
  async getMetadataDictForFile(file: DownloadDataFile): Promise<Record<string, unknown>> {
    const slow = Number(process.env.SLOW_MS ?? 0);
    if (slow > 0) await sleep(slow);
    const data = await file.read();
    return { path: file.relativeFilepath, size: data.length, sha512: createHash('sha512').update(data).digest('hex') };
  }
}
