/**
 * MemoryBuffer: holds each file's chunks in memory (memory mode) under a byte budget.
 *
 * In: AssemblyEvents. Out: a ready file whose `bytestring` is in memory, or a Settlement.
 * Chunk payloads are copied out of the Kafka fetch buffers (holding a slice would pin the whole
 * fetch response). The budget covers partial files and finished files until processing released
 * them. When a chunk does not fit, the largest partial file is spilled to disk staging and goes
 * on there, so a file larger than the budget, or many big files at once, neither deadlock the
 * pipeline nor grow memory without bound. With a journal, a partial file that stays incomplete
 * for `stageAfterMs` is spilled too, so its records can be released and committed.
 * A spilled file is handed to processing by path (its `bytestring` is read lazily) and its
 * staging file is removed after processing.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { ByteBudget } from '../flow/byte-budget.js';
import { DownloadDataFile } from '../process/download-data-file.js';
import type { AssemblyEvent, FileRef, SinkEvent } from '../consumer/pipeline-events.js';
import type { RecordPosition } from '../types.js';
import { fileId } from './disk-sink.js';
import { hashMismatch, StagingArea } from './staging-area.js';
import type { StagingJournal } from './staging-journal.js';

export interface MemoryBufferOptions {
  logger: Logger;
  /** Bytes of file data held in memory at most (default 256 MiB). */
  maxBytes?: number;
  /** Where spilled files go (the output directory's staging directory). */
  stagingDir: string;
  journal?: StagingJournal;
  /** How long a partial file may stay in memory before it is spilled and journaled (default 5000 ms). */
  stageAfterMs?: number;
}

interface HeldChunk {
  data: Buffer;
  chunkI: number;
  position: RecordPosition;
}

interface HeldFile {
  ref: FileRef;
  chunks: Map<number, HeldChunk>;
  bytes: number;
  openedAt: number;
  spilled: boolean;
  /** Records repeating a chunk held here; released with the file, or by the journal once spilled. */
  duplicates: Array<{ offset: number; position: RecordPosition }>;
}

export class MemoryBuffer extends Transform {
  readonly #o: MemoryBufferOptions;
  readonly #budget: ByteBudget;
  readonly #area: StagingArea;
  readonly #held = new Map<string, HeldFile>();
  #spills = 0;
  #timer: NodeJS.Timeout | undefined;
  #checkpointing: Promise<void> = Promise.resolve();

  constructor(options: MemoryBufferOptions) {
    super({ objectMode: true, highWaterMark: 4 });
    this.#o = options;
    this.#budget = new ByteBudget(options.maxBytes ?? 256 * 1024 * 1024, 'maxBytes');
    this.#area = new StagingArea({
      dir: options.stagingDir,
      logger: options.logger,
      ...(options.journal && { journal: options.journal }),
      ...(options.stageAfterMs !== undefined && { stageAfterMs: options.stageAfterMs }),
    });
  }

  /** Bytes currently counted against the budget. */
  get bytesHeld(): number {
    return this.#budget.used;
  }

  get spills(): number {
    return this.#spills;
  }

  /** Per partition, the lowest released record of a partial file held durably in staging. */
  stagedFrom(): Map<number, bigint> {
    return this.#area.stagedFrom();
  }

  override _construct(callback: (error?: Error | null) => void): void {
    if (this.#area.journaled) {
      const every = Math.max(100, Math.min(1000, this.#o.stageAfterMs ?? 5000));
      this.#timer = setInterval(() => this.#checkpoint(), every);
      this.#timer.unref();
    }
    callback();
  }

  override _transform(event: AssemblyEvent, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#checkpointing = this.#checkpointing.then(() => this.#handle(event)).then(
      (out) => callback(null, out),
      (err: unknown) => callback(err as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    clearInterval(this.#timer);
    this.#checkpointing.then(() => callback(), callback);
  }

  async #handle(event: AssemblyEvent): Promise<SinkEvent | undefined> {
    switch (event.kind) {
      case 'settle':
        return event;
      case 'chunk': {
        const { chunk } = event;
        if (event.restored) {
          this.#heldFile(event.file).spilled = true;
          this.#area.noteRestored(event.file, chunk.chunkOffsetWrite, chunk.data.length, event.position);
          return undefined;
        }
        await this.#add(event.file, chunk.chunkOffsetWrite, { data: chunk.data, chunkI: chunk.chunkI, position: event.position });
        return undefined;
      }
      case 'duplicate': {
        // Staging knows only spilled files: a duplicate of a chunk still in memory waits here, or
        // a file spilled later would never release it and would pin its partition.
        const held = this.#held.get(fileId(event.file));
        if (held && !held.spilled) {
          held.duplicates.push({ offset: event.chunkOffset, position: event.position });
          return undefined;
        }
        const now = this.#area.noteDuplicate(event.file, event.chunkOffset, event.position);
        return now.length > 0 ? { kind: 'settle', positions: now, outcome: 'staged' } : undefined;
      }
      case 'drop': {
        const held = this.#held.get(fileId(event.file));
        this.#held.delete(fileId(event.file));
        if (held) this.#budget.release(held.bytes);
        await this.#area.release(event.file)?.discard();
        return { kind: 'settle', positions: event.positions, outcome: event.outcome, file: event.file, ...(event.error ? { error: event.error } : {}) };
      }
      case 'complete':
        return this.#complete(event.file, event.positions);
    }
  }

  #heldFile(ref: FileRef): HeldFile {
    const id = fileId(ref);
    let held = this.#held.get(id);
    if (!held) {
      held = { ref, chunks: new Map(), bytes: 0, openedAt: Date.now(), spilled: false, duplicates: [] };
      this.#held.set(id, held);
    }
    return held;
  }

  async #add(ref: FileRef, offset: number, chunk: HeldChunk): Promise<void> {
    const held = this.#heldFile(ref);
    if (held.spilled) {
      await this.#area.write(ref, offset, chunk.data, chunk.chunkI, chunk.position);
      return;
    }
    while (!this.#budget.tryAcquire(chunk.data.length)) {
      // With no partial file left to spill (finished files hold the budget), this file goes to
      // staging itself: a chunk kept in memory without acquiring it would later be released
      // from the budget all the same, and the count would drift below what is really held.
      const victim = this.#largestPartial() ?? held;
      await this.#spill(victim);
      if (victim === held) {
        await this.#area.write(ref, offset, chunk.data, chunk.chunkI, chunk.position);
        return;
      }
    }
    held.chunks.set(offset, { ...chunk, data: Buffer.from(chunk.data) });
    held.bytes += chunk.data.length;
  }

  #largestPartial(): HeldFile | undefined {
    let best: HeldFile | undefined;
    for (const held of this.#held.values()) if (!held.spilled && held.bytes > 0 && (!best || held.bytes > best.bytes)) best = held;
    return best;
  }

  async #spill(held: HeldFile): Promise<void> {
    for (const offset of [...held.chunks.keys()].sort((a, b) => a - b)) {
      const c = held.chunks.get(offset)!;
      await this.#area.write(held.ref, offset, c.data, c.chunkI, c.position, held.openedAt);
    }
    for (const d of held.duplicates) this.#area.noteDuplicate(held.ref, d.offset, d.position);
    held.duplicates = [];
    this.#budget.release(held.bytes);
    held.chunks.clear();
    held.bytes = 0;
    held.spilled = true;
    this.#spills++;
    this.#o.logger.debug({ file: held.ref.relativePath }, 'partial file spilled to disk staging');
  }

  async #complete(ref: FileRef, positions: RecordPosition[]): Promise<SinkEvent> {
    const held = this.#heldFile(ref);
    this.#held.delete(fileId(ref));
    let hash: Buffer;
    let data: Buffer | undefined;
    let size: number;
    const staged = held.spilled ? this.#area.file(ref) : undefined;
    if (staged) {
      hash = await staged.digest();
      size = staged.size;
      this.#area.release(ref);
      await staged.close();
    } else {
      const offsets = [...held.chunks.keys()].sort((a, b) => a - b);
      const last = offsets.at(-1);
      size = last === undefined ? 0 : last + held.chunks.get(last)!.data.length;
      // Placed at their offsets, as the disk sink and a spilled file do, and hashed as handed
      // over: a gap between chunks reads as zeros, never shifts the bytes after it.
      data = Buffer.alloc(size);
      for (const offset of offsets) held.chunks.get(offset)!.data.copy(data, offset);
      hash = createHash('sha512').update(data).digest();
      held.chunks.clear();
    }
    const release = (): void => {
      this.#budget.release(held.bytes);
      held.bytes = 0;
      if (staged) void staged.discard();
    };
    if (!hash.equals(ref.fileHash)) {
      release();
      return hashMismatch(ref, positions, this.#o.logger);
    }
    const file = DownloadDataFile.fromRef(ref, { size, ...(data ? { data } : { fullFilepath: staged!.path }) });
    return { kind: 'file', ref, file, positions, release };
  }

  /** Spills partial files older than `stageAfterMs`, then journals staged chunks. */
  #checkpoint(): void {
    const after = this.#o.stageAfterMs ?? 5000;
    this.#checkpointing = this.#checkpointing
      .then(async () => {
        const now = Date.now();
        for (const held of [...this.#held.values()]) if (!held.spilled && held.bytes > 0 && now - held.openedAt >= after) await this.#spill(held);
        const positions = await this.#area.checkpoint(now);
        if (positions.length > 0 && !this.destroyed && !this.writableFinished) this.push({ kind: 'settle', positions, outcome: 'staged' } satisfies SinkEvent);
      })
      .catch((err: unknown) => {
        this.destroy(err as Error);
      });
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.#timer);
    this.#held.clear();
    this.#area.closeAll().then(() => callback(err), () => callback(err));
  }
}
