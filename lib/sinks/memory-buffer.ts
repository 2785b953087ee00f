/**
 * MemoryBuffer: holds each file's chunks in memory (memory mode) under a byte budget.
 *
 * In: AssemblyEvents. Out: a ready file whose `bytestring` is in memory, or a Settlement.
 * Chunk payloads are copied out of the Kafka fetch buffers (holding a slice would pin the whole
 * fetch response). The budget covers partial files and finished files until processing released
 * them. When a chunk does not fit, the largest partial file is spilled to disk staging and goes
 * on there, so a file larger than the budget, or many big files at once, neither deadlock the
 * pipeline nor grow memory without bound. A spilled file is handed to processing by path (its
 * `bytestring` is read lazily) and its staging file is removed after processing.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AssemblyError } from '../errors.js';
import { ByteBudget } from '../flow/byte-budget.js';
import { DownloadDataFile } from '../process/download-data-file.js';
import type { AssemblyEvent, FileRef, SinkEvent } from '../consumer/pipeline-events.js';
import type { RecordPosition } from '../types.js';
import { StagedFile, stagingName } from './staged-file.js';
import { fileId, STAGING_DIR_NAME } from './disk-sink.js';

export interface MemoryBufferOptions {
  logger: Logger;
  /** Bytes of file data held in memory at most (default 256 MiB). */
  maxBytes?: number;
  /** Where spilled files go (default `<outputDir>/.datafile-stream-staging`). */
  stagingDir: string;
}

interface HeldFile {
  ref: FileRef;
  chunks: Map<number, Buffer>;
  bytes: number;
  spilled?: StagedFile;
}

export class MemoryBuffer extends Transform {
  readonly #logger: Logger;
  readonly #budget: ByteBudget;
  readonly #stagingDir: string;
  readonly #held = new Map<string, HeldFile>();
  #spills = 0;

  constructor(options: MemoryBufferOptions) {
    super({ objectMode: true, highWaterMark: 4 });
    this.#logger = options.logger;
    this.#budget = new ByteBudget(options.maxBytes ?? 256 * 1024 * 1024, 'maxBytes');
    this.#stagingDir = options.stagingDir;
  }

  /** Bytes currently counted against the budget. */
  get bytesHeld(): number {
    return this.#budget.used;
  }

  get spills(): number {
    return this.#spills;
  }

  static stagingDirFor(outputDir: string): string {
    return join(outputDir, STAGING_DIR_NAME);
  }

  override _transform(event: AssemblyEvent, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#handle(event).then((out) => callback(null, out), callback);
  }

  async #handle(event: AssemblyEvent): Promise<SinkEvent | undefined> {
    switch (event.kind) {
      case 'settle':
        return event;
      case 'chunk':
        await this.#add(event.file, event.chunk.chunkOffsetWrite, event.chunk.data);
        return undefined;
      case 'drop': {
        await this.#forget(fileId(event.file), true);
        return { kind: 'settle', positions: event.positions, outcome: event.outcome, file: event.file, ...(event.error ? { error: event.error } : {}) };
      }
      case 'complete':
        return this.#complete(event.file, event.positions);
    }
  }

  async #add(ref: FileRef, offset: number, data: Buffer): Promise<void> {
    const id = fileId(ref);
    let held = this.#held.get(id);
    if (!held) {
      held = { ref, chunks: new Map(), bytes: 0 };
      this.#held.set(id, held);
    }
    if (held.spilled) {
      await held.spilled.write(offset, data);
      return;
    }
    while (!this.#budget.tryAcquire(data.length)) {
      const victim = this.#largestPartial();
      if (!victim) break; // only finished files hold the budget: go over it for one chunk
      await this.#spill(victim);
      if (victim === held) {
        await held.spilled!.write(offset, data);
        return;
      }
    }
    held.chunks.set(offset, Buffer.from(data));
    held.bytes += data.length;
  }

  #largestPartial(): HeldFile | undefined {
    let best: HeldFile | undefined;
    for (const held of this.#held.values()) if (!held.spilled && held.bytes > 0 && (!best || held.bytes > best.bytes)) best = held;
    return best;
  }

  async #spill(held: HeldFile): Promise<void> {
    const staged = new StagedFile(this.#stagingDir, stagingName(held.ref.key, held.ref.fileHash.toString('hex')));
    for (const offset of [...held.chunks.keys()].sort((a, b) => a - b)) await staged.write(offset, held.chunks.get(offset)!);
    this.#budget.release(held.bytes);
    held.chunks.clear();
    held.bytes = 0;
    held.spilled = staged;
    this.#spills++;
    this.#logger.debug({ file: held.ref.relativePath }, 'memory budget reached: partial file spilled to disk staging');
  }

  async #complete(ref: FileRef, positions: RecordPosition[]): Promise<SinkEvent> {
    const id = fileId(ref);
    const held = this.#held.get(id) ?? { ref, chunks: new Map<number, Buffer>(), bytes: 0 };
    this.#held.delete(id);
    let hash: Buffer;
    let data: Buffer | undefined;
    let size: number;
    if (held.spilled) {
      hash = await held.spilled.digest();
      size = held.spilled.size;
      await held.spilled.close();
    } else {
      const offsets = [...held.chunks.keys()].sort((a, b) => a - b);
      const hasher = createHash('sha512');
      for (const offset of offsets) hasher.update(held.chunks.get(offset)!);
      hash = hasher.digest();
      const last = offsets.at(-1);
      size = last === undefined ? 0 : last + held.chunks.get(last)!.length;
      data = Buffer.concat(offsets.map((o) => held.chunks.get(o)!), size);
      held.chunks.clear();
    }
    const release = (): void => {
      this.#budget.release(held.bytes);
      held.bytes = 0;
      if (held.spilled) void held.spilled.discard();
    };
    if (!hash.equals(ref.fileHash)) {
      release();
      const error = new AssemblyError('ERR_FILE_HASH_MISMATCH', `${ref.relativePath}: SHA-512 of the rebuilt file does not match file_hash`, { path: ref.relativePath });
      this.#logger.warn({ file: ref.relativePath, code: error.code }, error.message);
      return { kind: 'settle', positions, outcome: 'mismatched_hash', file: ref, error };
    }
    const file = new DownloadDataFile({
      relativeFilepath: ref.relativePath,
      subdirStr: ref.subdirStr,
      filename: ref.relativePath.split('/').at(-1)!,
      fileHash: ref.fileHash,
      nTotalChunks: ref.nTotalChunks,
      size,
      fileMtime: ref.fileMtime,
      ...(data ? { data } : { fullFilepath: held.spilled!.path }),
    });
    return { kind: 'file', ref, file, positions, release };
  }

  async #forget(id: string, discard: boolean): Promise<void> {
    const held = this.#held.get(id);
    if (!held) return;
    this.#held.delete(id);
    this.#budget.release(held.bytes);
    if (held.spilled && discard) await held.spilled.discard();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const spilled = [...this.#held.values()].flatMap((h) => (h.spilled ? [h.spilled] : []));
    this.#held.clear();
    Promise.all(spilled.map((s) => s.close())).then(() => callback(err), () => callback(err));
  }
}
