/**
 * The staging area under the output directory: the partial files of the disk sink (and the files
 * the memory buffer spilled), by staging name, with the journal that makes them count.
 *
 * `checkpoint()` is what keeps a file that never completes from pinning its partitions: for
 * every staged file that has been open for `stageAfterMs`, it fsyncs the file, journals the
 * chunks written since the last checkpoint and returns their records' positions, which may then
 * be settled (outcome `staged`). Files that complete quickly never pay for it: they are fsynced
 * once, when they are committed to their final path.
 */
import type { Logger } from 'pino';
import { crashPoint } from '../faults/crash-point.js';
import type { FileRef, Settlement } from '../pipeline-events.js';
import { AssemblyError } from '../errors.js';
import { fileIdentity, type RecordPosition } from '../types.js';
import { StagedFile } from './staged-file.js';
import { stagingName } from '../paths/staging-names.js';
import type { JournalChunk, StagingJournal } from './staging-journal.js';
import { validateStagingLimits } from './staging-options.js';
import { sha512Async } from '../codec/chunk-hash.js';

/** A chunk in a staging file, kept so that a file whose hash is wrong can be checked chunk by chunk. */
export interface WrittenChunk {
  chunkI: number;
  offset: number;
  length: number;
  /** Its chunk_hash; undefined when not known (restored from a journal that did not keep it). */
  chunkHash: Buffer | undefined;
  /** The record it came in (undefined: restored without one). */
  position: RecordPosition | undefined;
  /** Its bytes were checked against its chunk hash (by a copy that came again). */
  verified: boolean;
}

/** The chunks of a staged file checked against their own chunk hashes. */
export interface ChunkCheck {
  good: WrittenChunk[];
  bad: WrittenChunk[];
  /** Chunks with no known chunk hash (restored from an older journal): not judged. */
  unknown: WrittenChunk[];
}

interface Entry {
  ref: FileRef;
  /** Every chunk in the staging file, by offset. */
  written: Map<number, WrittenChunk>;
  staged: StagedFile;
  /** Its staging file's name (and its name in the journal). */
  name: string;
  openedAt: number;
  /** Chunks written since the last checkpoint. */
  unjournaled: JournalChunk[];
  /** Duplicate records of chunks not yet durable: settled with the next checkpoint. */
  waiting: RecordPosition[];
  durable: Set<number>;
  /** Lowest record offset, per partition, of this file's chunks the journal made durable (their records were released). */
  journaledFrom: Map<number, bigint>;
  /** Complete and being verified and moved to its final path: checkpoints leave it alone. */
  committing: boolean;
}

export interface StagingAreaOptions {
  dir: string;
  logger: Logger;
  journal?: StagingJournal;
  /** How long a file stays in staging before its chunks are made durable and released (STAGING_DEFAULTS). */
  stageAfterMs?: number;
}

export class StagingArea {
  readonly dir: string;
  readonly #o: StagingAreaOptions;
  readonly #stageAfterMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: StagingAreaOptions) {
    this.dir = options.dir;
    this.#o = options;
    this.#stageAfterMs = validateStagingLimits(options).stageAfterMs;
  }

  /** The checked delay before a partial file is staged (STAGING_DEFAULTS when not given). */
  get stageAfterMs(): number {
    return this.#stageAfterMs;
  }

  get journaled(): boolean {
    return this.#o.journal !== undefined;
  }

  has(ref: FileRef): boolean {
    return this.#entries.has(nameOf(ref));
  }

  file(ref: FileRef): StagedFile {
    return this.#entry(ref).staged;
  }

  /**
   * `since`: when the file was first seen, if it was held elsewhere before it came here (the
   * memory buffer spilling a partial file): its `stageAfterMs` counts from then, not again.
   * `chunkHash`: the chunk's own hash, for `checkChunks` (and the journal) when the chunk was not
   * verified before it came here.
   */
  async write(ref: FileRef, offset: number, data: Buffer, chunkI: number, position: RecordPosition, extra: { since?: number; chunkHash?: Buffer } = {}): Promise<void> {
    const entry = this.#entry(ref);
    if (extra.since !== undefined && extra.since < entry.openedAt) entry.openedAt = extra.since;
    await entry.staged.write(offset, data);
    crashPoint('after-staging-write');
    // A copy: the decoded hash is a view into the fetched batch, which it would keep alive.
    const chunkHash = extra.chunkHash ? Buffer.from(extra.chunkHash) : undefined;
    entry.written.set(offset, { chunkI, offset, length: data.length, chunkHash, position, verified: false });
    if (this.#o.journal) entry.unjournaled.push({ offset, length: data.length, chunkI, position, ...(chunkHash && { chunkHash }) });
  }

  /** A chunk restored from the journal: already in the staging file and durable. */
  noteRestored(ref: FileRef, offset: number, length: number, position?: RecordPosition, extra: { chunkI?: number; chunkHash?: Buffer } = {}): void {
    const entry = this.#entry(ref);
    if (extra.chunkI !== undefined) entry.written.set(offset, { chunkI: extra.chunkI, offset, length, chunkHash: extra.chunkHash, position, verified: false });
    entry.staged.noteExisting(offset, length);
    entry.durable.add(offset);
    if (position) lowest(entry.journaledFrom, position);
  }

  /**
   * Per partition, the lowest record offset whose chunk is held here, durable, for a file still
   * partial: the group committed past it, so a member that takes the partition over without
   * this staging directory must read again from there (run-consumer puts it in the commit's
   * metadata; lib/pipeline/staged-elsewhere.ts).
   */
  stagedFrom(): Map<number, bigint> {
    const out = new Map<number, bigint>();
    for (const e of this.#entries.values()) {
      for (const [partition, offset] of e.journaledFrom) if ((out.get(partition) ?? offset + 1n) > offset) out.set(partition, offset);
    }
    return out;
  }

  /**
   * Another record carrying a chunk this file already has. Returns it when that chunk is
   * durable (settle it now); otherwise it is settled with the next checkpoint.
   */
  noteDuplicate(ref: FileRef, offset: number, position: RecordPosition): RecordPosition[] {
    const entry = this.#entries.get(nameOf(ref));
    if (!entry || !this.#o.journal) return [];
    if (entry.durable.has(offset)) return [position];
    entry.waiting.push(position);
    return [];
  }

  /**
   * The file is complete: checkpoints no longer sync or journal it while it is verified and
   * moved, but it stays listed (and journaled) until `release`, so a crash before it reached its
   * final path still finds its journaled chunks.
   */
  beginCommit(ref: FileRef): StagedFile {
    const entry = this.#entry(ref);
    entry.committing = true;
    return entry.staged;
  }

  /**
   * Records of the file were released (settled as `staged`) because the journal made its chunks
   * durable, in this run or before a restart: those committed records are covered by nothing
   * but this staging entry. Such a file therefore stays here (and journaled) after it completed,
   * until it settles (`discard` once processed or failed for good): a crash before that finds
   * it again at the next start.
   */
  released(ref: FileRef): boolean {
    return (this.#entries.get(nameOf(ref))?.journaledFrom.size ?? 0) > 0;
  }

  /**
   * Reads each chunk of a complete file back from its staging file and checks it against its own
   * chunk hash: which chunks are bad when the file's hash was wrong. Chunks are hashed on the
   * chunk worker, one at a time (a file is checked this way only when its hash failed).
   */
  async checkChunks(ref: FileRef): Promise<ChunkCheck> {
    const entry = this.#entry(ref);
    const out: ChunkCheck = { good: [], bad: [], unknown: [] };
    for (const chunk of [...entry.written.values()].sort((a, b) => a.offset - b.offset)) {
      if (chunk.verified) {
        out.good.push(chunk);
        continue;
      }
      if (!chunk.chunkHash) {
        out.unknown.push(chunk);
        continue;
      }
      const bytes = await entry.staged.readRange(chunk.offset, chunk.length);
      ((await sha512Async(bytes)).equals(chunk.chunkHash) ? out.good : out.bad).push(chunk);
    }
    return out;
  }

  /**
   * Another copy of a chunk held here, already checked against its own hash: if the bytes held
   * differ, they were corrupt, and the copy replaces them; if they are the same under another
   * chunk hash, the held record's hash was. Returns that record (to be rejected), or undefined
   * when the copy agrees with it (or the chunk is not here).
   */
  async replaceIfDifferent(ref: FileRef, offset: number, data: Buffer, chunkHash: Buffer, position: RecordPosition): Promise<RecordPosition | undefined> {
    const chunk = this.#entries.get(nameOf(ref))?.written.get(offset);
    if (!chunk || chunk.verified || chunk.length !== data.length) return undefined;
    const entry = this.#entry(ref);
    if ((await entry.staged.readRange(offset, chunk.length)).equals(data)) {
      chunk.verified = true;
      if (!chunk.chunkHash || chunk.chunkHash.equals(chunkHash)) return undefined;
      // The same bytes under another chunk_hash: the held record's hash field was the corrupt part.
      const held = chunk.position;
      chunk.chunkHash = Buffer.from(chunkHash);
      chunk.position = position;
      return held;
    }
    const replaced = chunk.position;
    await this.write(ref, offset, data, chunk.chunkI, position, { chunkHash });
    entry.written.get(offset)!.verified = true;
    entry.durable.delete(offset); // the new bytes are durable with the next checkpoint
    return replaced;
  }

  /** Files in staging that are not complete (at the end of a run: their chunks were never judged). */
  partialFiles(): FileRef[] {
    return [...this.#entries.values()].filter((e) => !e.committing).map((e) => e.ref);
  }

  /**
   * The file, checked after its hash was wrong, waits for good copies of its `bad` chunks: they
   * leave its list (a re-delivery writes them again), are never journaled, and checkpoints stage
   * the file again.
   */
  reopen(ref: FileRef, bad: readonly WrittenChunk[]): void {
    const entry = this.#entry(ref);
    const gone = new Set(bad.map((c) => c.offset));
    for (const offset of gone) {
      entry.written.delete(offset);
      entry.durable.delete(offset);
    }
    entry.unjournaled = entry.unjournaled.filter((c) => !gone.has(c.offset));
    entry.committing = false;
  }

  /** The file leaves staging (committed to its final path, or discarded). */
  release(ref: FileRef): StagedFile | undefined {
    const name = nameOf(ref);
    const entry = this.#entries.get(name);
    this.#entries.delete(name);
    this.#o.journal?.done(name);
    return entry?.staged;
  }

  /**
   * The file leaves staging and its staging file is removed, also one an earlier run left (a
   * journaled file the registry lists as settled since).
   */
  async discard(ref: FileRef): Promise<void> {
    await (this.release(ref) ?? new StagedFile(this.dir, nameOf(ref))).discard();
  }

  /** Makes files staged for `stageAfterMs` durable; returns the positions now covered. */
  async checkpoint(now = Date.now()): Promise<RecordPosition[]> {
    const journal = this.#o.journal;
    if (!journal) return [];
    const after = this.#stageAfterMs;
    const ready = [...this.#entries.values()].filter((e) => !e.committing && (e.unjournaled.length > 0 || e.waiting.length > 0) && now - e.openedAt >= after);
    if (ready.length === 0) return [];
    const batches = ready.map((e) => {
      const chunks = e.unjournaled;
      const waiting = e.waiting;
      e.unjournaled = [];
      e.waiting = [];
      return { e, chunks, waiting };
    });
    for (const { e } of batches) await e.staged.sync();
    for (const { e, chunks } of batches) if (chunks.length > 0) journal.addChunks(e.name, fileIdentity(e.ref), chunks);
    await journal.sync();
    const positions: RecordPosition[] = [];
    for (const { e, chunks, waiting } of batches) {
      for (const c of chunks) {
        e.durable.add(c.offset);
        lowest(e.journaledFrom, c.position);
        positions.push(c.position);
      }
      positions.push(...waiting);
    }
    this.#o.logger.debug({ files: batches.length, records: positions.length }, 'staged chunks made durable');
    return positions;
  }

  /**
   * Closes every staging file. A journaled file that completed and waits for its settlement stays
   * listed: it settles after the sink ended (processing outlives the sink), and `discard` then
   * still removes it from staging and the journal.
   */
  async closeAll(): Promise<void> {
    const entries = [...this.#entries.entries()];
    for (const [name, e] of entries) if (!(e.committing && e.journaledFrom.size > 0)) this.#entries.delete(name);
    await Promise.all(entries.map(([, e]) => e.staged.close()));
  }

  #entry(ref: FileRef): Entry {
    const name = nameOf(ref);
    let entry = this.#entries.get(name);
    if (!entry) {
      entry = {
        ref,
        written: new Map(),
        staged: new StagedFile(this.dir, name),
        name,
        openedAt: Date.now(),
        unjournaled: [],
        waiting: [],
        durable: new Set(),
        journaledFrom: new Map(),
        committing: false,
      };
      this.#entries.set(name, entry);
    }
    return entry;
  }
}

function lowest(byPartition: Map<number, bigint>, position: RecordPosition): void {
  const offset = BigInt(position.offset);
  const known = byPartition.get(position.partition);
  if (known === undefined || offset < known) byPartition.set(position.partition, offset);
}

export function nameOf(ref: FileRef): string {
  return stagingName(ref.key, ref.fileHash.toString('hex'));
}

/** The settlement of a rebuilt file whose SHA-512 is not its file_hash: never processed. */
export function hashMismatch(ref: FileRef, positions: RecordPosition[], logger: Logger): Settlement {
  const error = new AssemblyError('ERR_FILE_HASH_MISMATCH', `${ref.relativePath}: SHA-512 of the rebuilt file does not match file_hash`, { path: ref.relativePath });
  logger.warn({ file: ref.relativePath, code: error.code }, error.message);
  return { kind: 'settle', positions, outcome: 'mismatched_hash', file: ref, error };
}
