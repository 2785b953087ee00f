/**
 * Failed files, kept for a later retry: when a file fails processing for good, its bytes and its
 * identity are saved under `<staging>/failed/` (durably, before the offsets covering it are
 * committed). A later run with `--retry_failed` processes them again without re-reading Kafka.
 * Files whose rebuilt bytes did not match their hash leave an identity-only marker.
 *
 * `knows(relativePath, hash)` answers, after `load()`, whether a (path, hash) was settled this
 * way, so the re-read tail of such a file after a restart is recognised instead of opening a
 * file that can never complete.
 */
import { copyFile, mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileRef } from '../pipeline-events.js';
import { restoreFileIdentity, storeFileIdentity, type StoredFileIdentity } from '../types.js';
import type { DownloadDataFile } from '../download-data-file.js';
import { stagingName } from '../paths/staging-names.js';

export interface FailedFileEntry {
  name: string;
  dataPath: string;
  ref: FileRef;
}

/** A kept file's JSON record: its identity in stored form (lib/types.ts), and what is not identity beside it. */
interface StoredFailedFile extends StoredFileIdentity {
  firstSeenAt: string;
  size: number;
}

export class FailedFiles {
  readonly dir: string;
  #known = new Set<string>();

  constructor(stagingDir: string) {
    this.dir = join(stagingDir, 'failed');
  }

  /** Reads what earlier runs kept, for `knows`. */
  async load(): Promise<void> {
    for (const entry of await this.list()) this.#known.add(knownId(entry.ref.relativePath, entry.ref.fileHash));
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (!name.endsWith('.mismatched')) continue;
      const stored = JSON.parse(await readFile(join(this.dir, name), 'utf8').catch(() => '{}')) as Partial<StoredFailedFile>;
      if (stored.relativePath && stored.fileHashHex) this.#known.add(`${stored.relativePath}\0${stored.fileHashHex}`);
    }
  }

  knows(relativePath: string, fileHash: Buffer): boolean {
    return this.#known.has(knownId(relativePath, fileHash));
  }

  /** A file whose rebuilt bytes did not match its hash: remembered, never retried. */
  async saveMismatched(ref: FileRef): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const name = stagingName(ref.key, ref.fileHash.toString('hex'));
    await writeDurably(join(this.dir, `${name}.mismatched`), JSON.stringify(storedFailedFile(ref, 0)));
    this.#known.add(knownId(ref.relativePath, ref.fileHash));
  }

  async save(file: DownloadDataFile, ref: FileRef): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const name = stagingName(ref.key, ref.fileHash.toString('hex'));
    const dataPath = join(this.dir, `${name}.data`);
    if (file.inMemory || !file.fullFilepath) await writeFile(dataPath, file.bytestring);
    else await copyFile(file.fullFilepath, dataPath);
    const handle = await open(dataPath, 'r');
    await handle.sync().finally(() => handle.close());
    await writeDurably(join(this.dir, `${name}.json`), JSON.stringify(storedFailedFile(ref, file.size)));
    this.#known.add(knownId(ref.relativePath, ref.fileHash));
  }

  async list(): Promise<FailedFileEntry[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries: FailedFileEntry[] = [];
    for (const file of names.filter((n) => n.endsWith('.json')).sort()) {
      const name = file.slice(0, -'.json'.length);
      try {
        const stored = JSON.parse(await readFile(join(this.dir, file), 'utf8')) as StoredFailedFile;
        entries.push({ name, dataPath: join(this.dir, `${name}.data`), ref: { ...restoreFileIdentity(stored), generation: 0, firstSeenAt: new Date(stored.firstSeenAt) } });
      } catch {
        // a half-written entry from a crash: its file was not committed as failed, so it is read again
      }
    }
    return entries;
  }

  async remove(name: string): Promise<void> {
    const entry = (await this.list()).find((e) => e.name === name);
    if (entry) this.#known.delete(knownId(entry.ref.relativePath, entry.ref.fileHash));
    await rm(join(this.dir, `${name}.json`), { force: true });
    await rm(join(this.dir, `${name}.data`), { force: true });
  }
}

function knownId(relativePath: string, fileHash: Buffer): string {
  return `${relativePath}\0${fileHash.toString('hex')}`;
}

function storedFailedFile(ref: FileRef, size: number): StoredFailedFile {
  return { ...storeFileIdentity(ref), firstSeenAt: ref.firstSeenAt.toISOString(), size };
}

async function writeDurably(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  const handle = await open(path, 'r');
  await handle.sync().finally(() => handle.close());
}
