/**
 * Watches a directory tree and uploads files that are new or changed (OpenMSIStream's
 * DataFileUploadDirectory). The tree is polled: a file is sent once it has been quiet (same size
 * and mtime) for `watchdogLagTime` seconds, so half-written files are not sent; files present at
 * start are sent only with `uploadExisting`. Up to `nThreads` files are read at once. A file
 * whose chunks are all queued waits for the broker's acknowledgements without holding its slot
 * (up to MAX_FILES_AWAITING_ACK such files), so many small files share each produce request
 * instead of each waiting out the producer's linger; the ChunkProducer's byte budget bounds
 * memory across all of them.
 *
 * The upload registry under `<root>/LOGS/` remembers what the broker acknowledged, so a restart
 * resends only what was not. A file that cannot be read or vanished is logged with its code and
 * the others keep going. An upload the broker failed (kafkajs out of retries: an outage) is not
 * given up: the file is queued again by the next scans. `idle()` tells a caller (`--until_idle`)
 * when everything found has been acknowledged and nothing changed for a while.
 *
 * Stopping is ordered: once `run`'s signal aborts no new file is started, a file being read stops
 * at its next chunk (what the broker acknowledged of it is recorded, so the next run sends only
 * the rest), files already queued wait for their acknowledgements, and only then does `run`
 * flush the producer and the registry and return. The caller closes both after that, never
 * while an upload still uses them.
 */
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Logger } from 'pino';
import { errorCodeOf } from '../errors.js';
import type { ChunkProducer } from './chunk-producer.js';
import { sameSnapshot, snapshotFile, type FileSnapshot } from './file-chunker.js';
import { uploadFile, type UploadFileResult } from './upload-file.js';
import { validateDirectoryUploaderLimits, type DirectoryUploaderLimits } from './upload-directory-options.js';
import { checkChunkSize, UPLOAD_FILE_DEFAULTS } from './upload-file-options.js';

/** Files sent and waiting for acknowledgements at once, beyond the ones being read. */
export const MAX_FILES_AWAITING_ACK = 1024;

/** What the uploader needs from its registry (lib/registry/upload-registry.ts). */
export interface UploadLedger {
  isUploaded(relPath: string, size: number, mtimeMs: number): boolean;
  /** Returns the 1-based chunks still to send (all of them unless an upload of this content was cut short). */
  markStarted(relPath: string, info: { size: number; mtimeMs: number; nChunks: number; fileHash?: Buffer }): number[];
  markChunkAcked(relPath: string, chunkI: number): unknown;
  markUploaded(relPath: string, info: { size: number; mtimeMs: number; nChunks: number; fileHash: string }): void;
  flush(): Promise<void>;
}

/** nThreads, watchdogLagTime, pollInterval and their defaults: upload-directory-options.ts. */
export interface DirectoryUploaderOptions extends Partial<DirectoryUploaderLimits> {
  root: string;
  producer: ChunkProducer;
  registry: UploadLedger;
  logger: Logger;
  /** uploadFile's option (upload-file-options.ts), checked here once rather than per file. */
  chunkSize?: number;
  uploadRegex?: RegExp;
  uploadExisting?: boolean;
  legacy?: boolean;
  /** Directory names at the top level that are never uploaded. */
  excludeTopLevel?: string[];
}

export interface UploaderStats {
  filesUploaded: number;
  bytesUploaded: number;
  /** Bytes of chunks queued to the producer (acknowledged or not): the progress line's rate. */
  bytesSent: number;
  /** Chunks and their record value bytes the broker acknowledged (OpenMSIStream's heartbeat counters). */
  chunksAcked: number;
  bytesAcked: number;
  filesFailed: number;
  /** Files whose upload a stop cut short: the next run sends what the broker did not acknowledge. */
  filesStopped: number;
  inProgress: number;
  queued: number;
  recent: string[];
}

interface Candidate {
  snapshot: FileSnapshot;
  quietSince: number;
}

export class DirectoryUploader {
  readonly #o: Required<Omit<DirectoryUploaderOptions, 'uploadRegex'>> & { uploadRegex: RegExp };
  readonly #candidates = new Map<string, Candidate>();
  /** Snapshot last settled per path: uploaded, or given up with an error, or present at start. */
  readonly #settled = new Map<string, FileSnapshot>();
  readonly #queue: Array<{ relPath: string; snapshot: FileSnapshot }> = [];
  /** The paths in #queue: every scan asks for each file, and 20,000 queued files made that O(n²). */
  readonly #queued = new Set<string>();
  /** Every file from the start of its reading to its acknowledgement (or failure). */
  readonly #active = new Map<string, Promise<void>>();
  /** The files of #active still being read: at most nThreads. */
  readonly #reading = new Set<string>();
  /** Aborted when `run` stops: no file starts after it, and files being read stop. */
  readonly #stopping = new AbortController();
  #lastActivity = Date.now();
  #stats: UploaderStats = { filesUploaded: 0, bytesUploaded: 0, bytesSent: 0, chunksAcked: 0, bytesAcked: 0, filesFailed: 0, filesStopped: 0, inProgress: 0, queued: 0, recent: [] };
  #firstScan = true;

  constructor(options: DirectoryUploaderOptions) {
    this.#o = {
      uploadRegex: /^.*$/,
      uploadExisting: false,
      legacy: false,
      excludeTopLevel: ['LOGS'],
      ...options,
      ...validateDirectoryUploaderLimits(options),
      chunkSize: checkChunkSize(options.chunkSize ?? UPLOAD_FILE_DEFAULTS.chunkSize, 'chunkSize'),
    };
  }

  get stats(): UploaderStats {
    return { ...this.#stats, inProgress: this.#active.size, queued: this.#queue.length, recent: [...this.#stats.recent] };
  }

  /** True when nothing is queued, sending or waiting to become quiet, for `seconds`. */
  idle(seconds: number): boolean {
    const busy = this.#queue.length > 0 || this.#active.size > 0 || this.#candidates.size > 0;
    return !busy && Date.now() - this.#lastActivity >= seconds * 1000;
  }

  /** Scans and uploads until the signal aborts or `until()` says stop; then ends the files in flight (see the header). */
  async run(signal: AbortSignal, until: () => boolean = () => false): Promise<void> {
    while (!signal.aborted) {
      await this.scanOnce();
      this.#pump();
      if (until()) break;
      await this.#o.registry.flush(); // acknowledged chunks so far survive a crash
      await sleep(this.#o.pollInterval, signal);
    }
    this.#stopping.abort();
    // A settling file used to start the next queued one, so one snapshot of #active was not
    // enough: the caller closed the registry under uploads that were still starting.
    while (this.#active.size > 0) await Promise.allSettled([...this.#active.values()]);
    await this.#o.producer.flush();
    await this.#o.registry.flush();
  }

  async scanOnce(now = Date.now()): Promise<void> {
    const lagMs = this.#o.watchdogLagTime * 1000;
    const seen = new Set<string>();
    for (const relPath of await this.#listFiles()) {
      seen.add(relPath);
      if (this.#active.has(relPath) || this.#queued.has(relPath)) continue;
      let snapshot: FileSnapshot;
      try {
        snapshot = await snapshotFile(join(this.#o.root, relPath));
      } catch {
        continue; // vanished between listing and stat, or not a regular file
      }
      const settled = this.#settled.get(relPath);
      if (settled && sameSnapshot(settled, snapshot)) continue;
      if (this.#o.registry.isUploaded(relPath, snapshot.size, snapshot.mtime * 1000)) {
        this.#settled.set(relPath, snapshot);
        continue;
      }
      if (this.#firstScan) {
        if (this.#o.uploadExisting) this.#enqueue(relPath, snapshot);
        else this.#settled.set(relPath, snapshot);
        continue;
      }
      const candidate = this.#candidates.get(relPath);
      if (!candidate || !sameSnapshot(candidate.snapshot, snapshot)) {
        this.#candidates.set(relPath, { snapshot, quietSince: now });
        this.#lastActivity = now;
      } else if (now - candidate.quietSince >= lagMs) {
        this.#candidates.delete(relPath);
        this.#enqueue(relPath, snapshot);
      }
    }
    for (const relPath of this.#candidates.keys()) if (!seen.has(relPath)) this.#candidates.delete(relPath);
    this.#firstScan = false;
  }

  #enqueue(relPath: string, snapshot: FileSnapshot): void {
    this.#queue.push({ relPath, snapshot });
    this.#queued.add(relPath);
    this.#lastActivity = Date.now();
  }

  #pump(): void {
    if (this.#stopping.signal.aborted) return;
    const { nThreads } = this.#o;
    while (this.#reading.size < nThreads && this.#active.size < nThreads + MAX_FILES_AWAITING_ACK && this.#queue.length > 0) {
      const { relPath, snapshot } = this.#queue.shift()!;
      this.#queued.delete(relPath);
      this.#reading.add(relPath);
      const doneReading = (): void => {
        if (this.#reading.delete(relPath)) this.#pump();
      };
      const job = this.#upload(relPath, snapshot, doneReading).finally(() => {
        this.#active.delete(relPath);
        this.#lastActivity = Date.now();
        doneReading();
        this.#pump();
      });
      this.#active.set(relPath, job);
    }
  }

  async #upload(relPath: string, snapshot: FileSnapshot, doneReading: () => void): Promise<void> {
    const parts = relPath.split('/');
    const filename = parts.pop()!;
    const subdirStr = parts.join('/');
    const log = this.#o.logger.child({ file: relPath });
    try {
      let resumed = 0;
      const result: UploadFileResult = await uploadFile(this.#o.producer, join(this.#o.root, relPath), {
        chunkSize: this.#o.chunkSize,
        subdirStr,
        filename,
        legacy: this.#o.legacy,
        // Resume a cut-short upload of the same content: send only what the broker never acknowledged.
        alreadySent: (digest) => {
          const nChunks = digest.chunkHashes.length;
          const toSend = new Set(this.#o.registry.markStarted(relPath, { size: digest.size, mtimeMs: digest.mtime * 1000, nChunks, fileHash: digest.fileHash }));
          const sent = new Set<number>();
          for (let i = 1; i <= nChunks; i++) if (!toSend.has(i)) sent.add(i);
          resumed = sent.size;
          return sent;
        },
        onAcked: (chunkI, bytes) => {
          this.#stats.chunksAcked++;
          this.#stats.bytesAcked += bytes;
          this.#o.registry.markChunkAcked(relPath, chunkI);
        },
        onSent: doneReading,
        onChunk: (bytes) => {
          this.#stats.bytesSent += bytes;
        },
        signal: this.#stopping.signal,
      });
      await this.#uploaded(relPath, result, resumed, log);
    } catch (err) {
      this.#uploadFailed(relPath, snapshot, err, log);
    }
  }

  async #uploaded(relPath: string, result: UploadFileResult, resumed: number, log: Logger): Promise<void> {
    const fileHash = result.fileHash.toString('hex');
    this.#o.registry.markUploaded(relPath, { size: result.size, mtimeMs: result.mtime * 1000, nChunks: result.nChunks, fileHash });
    await this.#o.registry.flush();
    this.#settled.set(relPath, { size: result.size, mtime: result.mtime });
    this.#stats.filesUploaded++;
    this.#stats.bytesUploaded += result.size;
    this.#stats.recent = [relPath, ...this.#stats.recent].slice(0, 10);
    log.info({ bytes: result.size, chunks: result.nChunks, generations: result.generations, ...(resumed > 0 && { resumedAfterChunks: resumed }) }, 'uploaded');
  }

  #uploadFailed(relPath: string, snapshot: FileSnapshot, err: unknown, log: Logger): void {
    const code = errorCodeOf(err);
    if (code === 'ERR_ABORTED') {
      // Stopped, not failed: left unsettled and in progress in the registry for the next run.
      this.#stats.filesStopped++;
      log.debug('upload stopped; the next run sends the rest');
      return;
    }
    if (code === 'ERR_PRODUCE_FAILED' || code === 'ERR_KAFKA') {
      // The broker failed, not the file (kafkajs gave up retrying, e.g. a broker restart that
      // took longer): left unsettled, so the next scans queue it again once it is quiet, and
      // chunks the broker acknowledged are not sent twice.
      log.warn({ code, err }, `upload interrupted, will retry: ${(err as Error)?.message ?? String(err)}`);
      return;
    }
    this.#settled.set(relPath, snapshot); // retried when the file changes again
    if (code === 'ERR_FILE_VANISHED') {
      log.warn({ code: 'ERR_FILE_VANISHED' }, 'file vanished before it was sent; skipped');
      return;
    }
    this.#stats.filesFailed++;
    log.error({ code, err }, `upload failed: ${(err as Error)?.message ?? String(err)}`);
  }

  async #listFiles(): Promise<string[]> {
    const entries = await readdir(this.#o.root, { recursive: true, withFileTypes: true });
    const files: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
      const relPath = relative(this.#o.root, full).split(sep).join('/');
      const top = relPath.split('/')[0]!;
      if (relPath.includes('/') && this.#o.excludeTopLevel.includes(top)) continue;
      if (entry.name.startsWith('.')) continue;
      if (!this.#o.uploadRegex.test(entry.name)) continue;
      files.push(relPath);
    }
    return files.sort();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
