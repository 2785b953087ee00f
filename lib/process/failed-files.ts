/**
 * Failed files, kept for a later retry: when a file fails processing for good, its bytes and its
 * identity are saved under `<staging>/failed/` (durably, before the offsets covering it are
 * committed). A later run with `--retry_failed` processes them again without re-reading Kafka.
 */
import { copyFile, mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileRef } from '../consumer/pipeline-events.js';
import type { DownloadDataFile } from './download-data-file.js';
import { stagingName } from '../sinks/staged-file.js';

export interface FailedFileEntry {
  name: string;
  dataPath: string;
  ref: FileRef;
}

interface StoredRef {
  key: string;
  relativePath: string;
  subdirStr: string;
  filename: string;
  filenameAppend: string;
  fileHashHex: string;
  nTotalChunks: number;
  fileMtime: number | null;
  firstSeenAt: string;
  size: number;
}

export class FailedFiles {
  readonly dir: string;

  constructor(stagingDir: string) {
    this.dir = join(stagingDir, 'failed');
  }

  async save(file: DownloadDataFile, ref: FileRef): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const name = stagingName(ref.key, ref.fileHash.toString('hex'));
    const dataPath = join(this.dir, `${name}.data`);
    if (file.inMemory || !file.fullFilepath) await writeFile(dataPath, file.bytestring);
    else await copyFile(file.fullFilepath, dataPath);
    const stored: StoredRef = {
      key: ref.key,
      relativePath: ref.relativePath,
      subdirStr: ref.subdirStr,
      filename: ref.filename,
      filenameAppend: ref.filenameAppend,
      fileHashHex: ref.fileHash.toString('hex'),
      nTotalChunks: ref.nTotalChunks,
      fileMtime: ref.fileMtime,
      firstSeenAt: ref.firstSeenAt.toISOString(),
      size: file.size,
    };
    await writeFile(join(this.dir, `${name}.json`), JSON.stringify(stored));
    for (const path of [dataPath, join(this.dir, `${name}.json`)]) {
      const handle = await open(path, 'r');
      await handle.sync().finally(() => handle.close());
    }
  }

  async list(): Promise<FailedFileEntry[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries: FailedFileEntry[] = [];
    for (const file of names.filter((n) => n.endsWith('.json')).sort()) {
      const name = file.slice(0, -'.json'.length);
      try {
        const stored = JSON.parse(await readFile(join(this.dir, file), 'utf8')) as StoredRef;
        entries.push({
          name,
          dataPath: join(this.dir, `${name}.data`),
          ref: {
            key: stored.key,
            relativePath: stored.relativePath,
            subdirStr: stored.subdirStr,
            filename: stored.filename,
            filenameAppend: stored.filenameAppend,
            fileHash: Buffer.from(stored.fileHashHex, 'hex'),
            nTotalChunks: stored.nTotalChunks,
            fileMtime: stored.fileMtime,
            generation: 0,
            firstSeenAt: new Date(stored.firstSeenAt),
          },
        });
      } catch {
        // a half-written entry from a crash: its file was not committed as failed, so it is read again
      }
    }
    return entries;
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.dir, `${name}.json`), { force: true });
    await rm(join(this.dir, `${name}.data`), { force: true });
  }
}
