/**
 * MemoryBuffer: holds each file's chunks in memory (memory mode) under a byte budget.
 *
 * In: AssemblyEvents. Out: a ready file whose `bytestring` is in memory, or a Settlement.
 * Each file gets one buffer with its first chunk, sized from it (`n_total_chunks` x its length,
 * or exactly when it is the last chunk), and every chunk is copied straight to its offset there:
 * one copy out of the Kafka fetch buffers (holding a slice would pin the whole fetch response),
 * no per-chunk allocations, and the finished file is that buffer, not a second one. The budget
 * covers these buffers, from the first chunk until processing released the file. A file whose
 * buffer would not fit goes to disk staging instead: the largest partial file is spilled first,
 * and a file bigger than the whole budget (or whose chunks outgrow their buffer) is staged from
 * its first chunk on, so big files, or many at once, neither deadlock the pipeline nor grow
 * memory without bound. With a journal, a partial file that stays incomplete
 * for `stageAfterMs` is spilled too, so its records can be released and committed.
 * A spilled file is handed to processing by path (its `bytestring` is read lazily) and its
 * staging file is removed after processing.
 */
import { sha512Async } from '../codec/chunk-hash.js';
import type { Logger } from 'pino';
import { ByteBudget } from '../flow/byte-budget.js';
import { DownloadDataFile } from '../download-data-file.js';
import type { AssemblyEvent, FileRef, SinkEvent } from '../pipeline-events.js';
import type { RecordPosition } from '../types.js';
import { fileId } from './disk-sink.js';
import { hashMismatch, StagingArea } from './staging-area.js';
import type { StagingJournal } from './staging-journal.js';
import { StagingSink } from './staging-sink.js';
import { validateMemoryBufferLimits, type MemoryBufferLimits } from './memory-buffer-options.js';

/** `maxBytes` and its default (256 MiB): memory-buffer-options.ts. */
export interface MemoryBufferOptions extends Partial<MemoryBufferLimits> {
  logger: Logger;
  /** Where spilled files go (the output directory's staging directory). */
  stagingDir: string;
  journal?: StagingJournal;
  /** How long a partial file may stay in memory before it is spilled and journaled (default 5000 ms). */
  stageAfterMs?: number;
}

interface HeldChunk {
  length: number;
  chunkI: number;
  position: RecordPosition;
}

interface HeldFile {
  ref: FileRef;
  /** The file's bytes, chunks at their offsets (gaps read as zeros); allocated with the first chunk. */
  data: Buffer | undefined;
  /** Chunks placed in `data`, by offset. */
  chunks: Map<number, HeldChunk>;
  /** One past the last byte placed. */
  end: number;
  /** Budget held: the capacity of `data` (its size once finished). */
  bytes: number;
  openedAt: number;
  spilled: boolean;
  /** Records repeating a chunk held here; released with the file, or by the journal once spilled. */
  duplicates: Array<{ offset: number; position: RecordPosition }>;
}

export class MemoryBuffer extends StagingSink {
  readonly #o: MemoryBufferOptions;
  readonly #budget: ByteBudget;
  readonly #held = new Map<string, HeldFile>();
  #spills = 0;

  constructor(options: MemoryBufferOptions) {
    const { maxBytes } = validateMemoryBufferLimits(options);
    const area = new StagingArea({
      dir: options.stagingDir,
      logger: options.logger,
      ...(options.journal && { journal: options.journal }),
      ...(options.stageAfterMs !== undefined && { stageAfterMs: options.stageAfterMs }),
    });
    super(4, area);
    this.#o = options;
    this.#budget = new ByteBudget(maxBytes, 'maxBytes');
  }

  /** Bytes currently counted against the budget. */
  get bytesHeld(): number {
    return this.#budget.used;
  }

  get spills(): number {
    return this.#spills;
  }

  protected override async handle(event: AssemblyEvent): Promise<SinkEvent | undefined> {
    switch (event.kind) {
      case 'settle':
        return event;
      case 'chunk': {
        const { chunk } = event;
        if (event.restored) {
          this.#heldFile(event.file).spilled = true;
          this.area.noteRestored(event.file, chunk.chunkOffsetWrite, chunk.data.length, event.position);
          return undefined;
        }
        await this.#add(event.file, chunk.chunkOffsetWrite, chunk.data, { length: chunk.data.length, chunkI: chunk.chunkI, position: event.position }, chunk.nTotalChunks);
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
        const now = this.area.noteDuplicate(event.file, event.chunkOffset, event.position);
        return now.length > 0 ? { kind: 'settle', positions: now, outcome: 'staged' } : undefined;
      }
      case 'drop': {
        const held = this.#held.get(fileId(event.file));
        this.#held.delete(fileId(event.file));
        if (held) this.#budget.release(held.bytes);
        await this.area.discard(event.file);
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
      held = { ref, data: undefined, chunks: new Map(), end: 0, bytes: 0, openedAt: Date.now(), spilled: false, duplicates: [] };
      this.#held.set(id, held);
    }
    return held;
  }

  async #add(ref: FileRef, offset: number, data: Buffer, chunk: HeldChunk, nTotalChunks: number): Promise<void> {
    const held = this.#heldFile(ref);
    if (!held.spilled && !held.data && !(await this.#allocate(held, capacityFor(offset, chunk.length, chunk.chunkI, nTotalChunks)))) await this.#spill(held);
    if (!held.spilled && offset + chunk.length > held.data!.length) await this.#spill(held); // chunks bigger than the first one
    if (held.spilled) {
      await this.area.write(ref, offset, data, chunk.chunkI, chunk.position);
      return;
    }
    data.copy(held.data!, offset);
    held.chunks.set(offset, chunk);
    held.end = Math.max(held.end, offset + chunk.length);
  }

  /**
   * Gives `held` its buffer when `capacity` fits the budget, spilling the largest partial files
   * to make room; false when it cannot fit (bigger than the budget, or finished files hold it).
   */
  async #allocate(held: HeldFile, capacity: number): Promise<boolean> {
    if (capacity > this.#budget.limit) return false;
    while (!this.#budget.tryAcquire(capacity)) {
      const victim = this.#largestPartial();
      if (!victim) return false;
      await this.#spill(victim);
    }
    held.data = Buffer.alloc(capacity);
    held.bytes = capacity;
    return true;
  }

  #largestPartial(): HeldFile | undefined {
    let best: HeldFile | undefined;
    for (const held of this.#held.values()) if (!held.spilled && held.bytes > 0 && (!best || held.bytes > best.bytes)) best = held;
    return best;
  }

  async #spill(held: HeldFile): Promise<void> {
    for (const offset of [...held.chunks.keys()].sort((a, b) => a - b)) {
      const c = held.chunks.get(offset)!;
      await this.area.write(held.ref, offset, held.data!.subarray(offset, offset + c.length), c.chunkI, c.position, { since: held.openedAt });
    }
    for (const d of held.duplicates) this.area.noteDuplicate(held.ref, d.offset, d.position);
    held.duplicates = [];
    this.#budget.release(held.bytes);
    held.chunks.clear();
    held.data = undefined;
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
    const staged = held.spilled ? this.area.file(ref) : undefined;
    // Only a spilled file can have had records released; one held in memory kept them all.
    const journaled = staged !== undefined && this.area.released(ref);
    if (staged) {
      hash = await staged.digest();
      size = staged.size;
      // A journaled file stays in staging until it settles (StagingSink.settled).
      if (journaled) this.area.beginCommit(ref);
      else this.area.release(ref);
      await staged.close();
    } else {
      // Placed at their offsets, as the disk sink and a spilled file do, and hashed as handed
      // over: a gap between chunks reads as zeros, never shifts the bytes after it.
      size = held.end;
      data = (held.data ?? Buffer.alloc(0)).subarray(0, size);
      this.#budget.release(held.bytes - size); // the buffer's slack past the last chunk
      held.bytes = size;
      hash = await sha512Async(data);
      held.chunks.clear();
    }
    const release = (): void => {
      this.#budget.release(held.bytes);
      held.bytes = 0;
      if (staged && !journaled) void staged.discard();
    };
    if (!hash.equals(ref.fileHash)) {
      release();
      if (journaled) await this.area.discard(ref);
      return hashMismatch(ref, positions, this.#o.logger);
    }
    const file = DownloadDataFile.fromRef(ref, { size, ...(data ? { data } : { fullFilepath: staged!.path }) });
    return { kind: 'file', ref, file, positions, release, ...(journaled && { journaled }) };
  }

  /** Spills partial files older than `stageAfterMs`, then journals staged chunks. */
  protected override async checkpoint(): Promise<RecordPosition[]> {
    const after = this.area.stageAfterMs;
    const now = Date.now();
    for (const held of [...this.#held.values()]) if (!held.spilled && held.bytes > 0 && now - held.openedAt >= after) await this.#spill(held);
    return this.area.checkpoint(now);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#held.clear();
    super._destroy(err, callback);
  }
}

/**
 * Buffer size for a file from its first chunk: exact when that is the last chunk, otherwise
 * `n_total_chunks` chunks of its length (OpenMSIStream cuts every chunk but the last to one size).
 */
function capacityFor(offset: number, length: number, chunkI: number, nTotalChunks: number): number {
  return chunkI === nTotalChunks ? offset + length : Math.max(offset + length, nTotalChunks * length);
}
