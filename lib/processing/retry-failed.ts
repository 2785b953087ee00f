/**
 * `--retry_failed`: before consuming, process again every file an earlier run recorded as failed
 * (kept by FailedFiles). A success is recorded as processed and the kept copy removed; a file
 * that fails again stays failed and kept.
 */
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { resolveInside } from '../paths/safe-path.js';
import { registryFile, type FileRegistry } from '../registry/file-registry.js';
import { DownloadDataFile, type ConsumerMode } from '../download-data-file.js';
import type { FailedFiles } from './failed-files.js';
import { ProcessTransform, type ProcessFn } from './process-transform.js';
import type { Settlement } from '../pipeline-events.js';
import { readFile } from 'node:fs/promises';

export interface RetryFailedOptions {
  failed: FailedFiles;
  registry: FileRegistry;
  process: ProcessFn;
  onFailed?: (file: DownloadDataFile, error: Error) => Promise<void> | void;
  mode: ConsumerMode;
  outputDir: string;
  logger: Logger;
  /** Attempts per file (ProcessTransform's default when undefined). */
  maxAttempts?: number | undefined;
}

export async function retryFailedFiles(o: RetryFailedOptions): Promise<{ retried: number; succeeded: number }> {
  const entries = await o.failed.list();
  let succeeded = 0;
  for (const entry of entries) {
    const { ref } = entry;
    let fullFilepath: string | undefined;
    if (o.mode !== 'memory') {
      fullFilepath = resolveInside(o.outputDir, ref.relativePath);
      await mkdir(dirname(fullFilepath), { recursive: true });
      await copyFile(entry.dataPath, fullFilepath);
    }
    const size = (await stat(entry.dataPath)).size;
    const file = DownloadDataFile.fromRef(ref, {
      size,
      ...(fullFilepath && { fullFilepath }),
      ...(o.mode !== 'disk' && { data: await readFile(entry.dataPath) }),
    });
    const one = new ProcessTransform({ logger: o.logger, process: o.process, nThreads: 1, ...(o.maxAttempts !== undefined && { maxAttempts: o.maxAttempts }), ...(o.onFailed && { onFailed: o.onFailed }) });
    const result = await new Promise<Settlement>((resolve, reject) => {
      one.once('data', resolve);
      one.once('error', reject);
      one.end({ kind: 'file', ref, file, positions: [], release: () => file.release() });
    });
    const record = registryFile(ref);
    if (result.outcome === 'processed') {
      o.registry.markProcessed(record);
      await o.registry.flush();
      await o.failed.remove(entry.name);
      succeeded++;
      o.logger.info({ file: ref.relativePath }, 'previously failed file processed on retry');
    } else {
      o.registry.markFailed(record, result.error);
      o.logger.warn({ file: ref.relativePath }, 'previously failed file failed again; kept for a later retry');
    }
  }
  await o.registry.flush();
  return { retried: entries.length, succeeded };
}
