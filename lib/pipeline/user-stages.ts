/**
 * The app's own stages, between the sink and processing:
 *
 *   sink -> FileStageTap -> ...the app's stages... -> FileStageGate -> ProcessTransform
 *
 * In: the app's stages get only `ReadyFile`s (a verified file, its records' positions and
 * `release()`); the settlements the sink passes on go around them, straight to the gate. Out: the
 * files to process, in any order. A stage may be
 * - a function of one file (sync or async): returning the file passes it on, returning nothing
 *   (or stream-chain's `none`) skips it, throwing fails it. It is wrapped per item by `fileStage`
 *   and run through stream-chain; wrap functions placed inside your own `chain([...])` the same way;
 * - an async generator function `(files) => AsyncIterable<ReadyFile>`, or any Duplex stream
 *   (a stream-chain `chain`, a Transform): opaque to the gate, which settles what they drop.
 *
 * The invariant (every record reaches the committer): a file that a stage skipped, failed or
 * dropped settles at once, with its positions, as `skipped` (recorded in the registry as skipped)
 * or `failed`, and its memory is released, so it never pins its partition's commit. The gate knows
 * a drop from an opaque stage by order: a file that entered before one that came out, and has not
 * come out itself, was dropped. End of input settles the rest. A file still inside the app's
 * stages after `unsettledAfterMs` is logged with its name (once).
 *
 * Backpressure: the app's stages are ordinary pipeline stages; the gate holds one entry per file
 * inside them. Settlements that go around are small (positions only) and pass without waiting.
 * Errors: an opaque stage that throws ends the pipeline with its error (nothing unfinished is
 * committed); only function stages turn an error into a failed file.
 */
import { Duplex, Transform, type TransformCallback } from 'node:stream';
import chain from 'stream-chain';
import { none } from 'stream-chain/defs.js';
import type { Logger } from 'pino';
import { ProcessingError } from '../errors.js';
import type { FileRef, ReadyFile, Settlement, SinkEvent } from '../pipeline-events.js';

export type FileStageFn = (file: ReadyFile) => ReadyFile | undefined | null | void | typeof none | Promise<ReadyFile | undefined | null | void | typeof none>;
export type FileStageGenerator = (files: AsyncIterable<ReadyFile>) => AsyncIterable<ReadyFile>;
export type UserStage = FileStageFn | FileStageGenerator | Duplex;

const WRAPPED = Symbol('datafile-stream.fileStage');
/** The gate each file in the app's stages entered, so a function stage can settle it at once. */
const gateOf = new WeakMap<FileRef, FileStageGate>();

/** Wraps a per-file function: nothing returned -> skipped, thrown -> failed; either settles the file now. */
export function fileStage(fn: FileStageFn): (file: ReadyFile) => Promise<ReadyFile | typeof none> {
  if ((fn as { [WRAPPED]?: boolean })[WRAPPED]) return fn as (file: ReadyFile) => Promise<ReadyFile | typeof none>;
  const wrapped = async (file: ReadyFile): Promise<ReadyFile | typeof none> => {
    let out: Awaited<ReturnType<FileStageFn>>;
    try {
      out = await fn(file);
    } catch (err) {
      gateOf.get(file.ref)?.settleDropped(file.ref, err instanceof Error ? err : new Error(String(err)));
      return none;
    }
    if (out === undefined || out === null || out === none) {
      gateOf.get(file.ref)?.settleDropped(file.ref);
      return none;
    }
    return out as ReadyFile;
  };
  return Object.assign(wrapped, { [WRAPPED]: true });
}

function isAsyncGenerator(fn: unknown): fn is FileStageGenerator {
  return typeof fn === 'function' && fn.constructor?.name === 'AsyncGeneratorFunction';
}

/** The app's stages as streams: runs of function stages become one stream-chain each. */
export function userStageStreams(stages: readonly UserStage[]): Duplex[] {
  const streams: Duplex[] = [];
  let fns: Array<(file: ReadyFile) => Promise<ReadyFile | typeof none>> = [];
  const flushFns = (): void => {
    if (fns.length > 0) streams.push(chain(fns, { objectMode: true }) as unknown as Duplex);
    fns = [];
  };
  for (const stage of stages) {
    if (stage instanceof Duplex) {
      flushFns();
      streams.push(stage);
    } else if (isAsyncGenerator(stage)) {
      flushFns();
      streams.push(Duplex.from(stage));
    } else if (typeof stage === 'function') {
      fns.push(fileStage(stage as FileStageFn));
    } else {
      throw new ProcessingError('ERR_INVALID_OPTION', 'stages: each stage must be a function, an async generator function or a Duplex stream', { option: 'stages' });
    }
  }
  flushFns();
  return streams;
}

interface Inside {
  ready: ReadyFile;
  enteredAt: number;
  logged: boolean;
}

/** After the app's stages: passes files on, settles the ones that were dropped. */
export class FileStageGate extends Transform {
  readonly #inside = new Map<FileRef, Inside>();
  /** Settled while inside (dropped): if such a file comes out after all, it is not passed on. */
  readonly #settled = new WeakSet<FileRef>();
  readonly #skips = new WeakSet<Settlement>();
  readonly #logger: Logger;
  readonly #unsettledAfterMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { logger: Logger; unsettledAfterMs?: number }) {
    super({ objectMode: true, highWaterMark: 16 });
    this.#logger = options.logger;
    this.#unsettledAfterMs = options.unsettledAfterMs ?? 60_000;
  }

  /** True for a settlement made here for a file an app's stage skipped (the registry records it). */
  isSkippedByStage(s: Settlement): boolean {
    return this.#skips.has(s);
  }

  /** Files inside the app's stages now. */
  get inside(): number {
    return this.#inside.size;
  }

  enter(ready: ReadyFile): void {
    this.#inside.set(ready.ref, { ready, enteredAt: Date.now(), logged: false });
    gateOf.set(ready.ref, this);
    this.#timer ??= setInterval(() => this.#logUnsettled(), Math.min(this.#unsettledAfterMs, 5000)).unref();
  }

  /** A settlement that went around the app's stages. */
  passAround(s: Settlement): void {
    this.push(s);
  }

  settleDropped(ref: FileRef, error?: Error): void {
    const entry = this.#inside.get(ref);
    if (!entry) return;
    this.#inside.delete(ref);
    this.#settled.add(ref);
    entry.ready.release();
    if (error) {
      this.#logger.warn({ file: ref.relativePath, err: error }, `a stage failed the file: ${error.message}`);
      this.push({ kind: 'settle', positions: entry.ready.positions, outcome: 'failed', file: ref, error } satisfies Settlement);
      return;
    }
    const skip: Settlement = { kind: 'settle', positions: entry.ready.positions, outcome: 'skipped', file: ref };
    this.#skips.add(skip);
    this.push(skip);
  }

  override _transform(item: SinkEvent, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (item.kind !== 'file') return callback(null, item);
    if (this.#settled.has(item.ref)) {
      item.release(); // came out after it was taken for dropped (a stage reordered): already settled
      return callback();
    }
    // Order: what entered before this file and is still inside was dropped by an opaque stage.
    for (const [ref] of this.#inside) {
      if (ref === item.ref) break;
      this.settleDropped(ref);
    }
    this.#inside.delete(item.ref);
    callback(null, item);
  }

  override _flush(callback: TransformCallback): void {
    for (const ref of [...this.#inside.keys()]) this.settleDropped(ref);
    clearInterval(this.#timer);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.#timer);
    callback(error);
  }

  #logUnsettled(): void {
    const now = Date.now();
    for (const entry of this.#inside.values()) {
      if (entry.logged || now - entry.enteredAt < this.#unsettledAfterMs) continue;
      entry.logged = true;
      this.#logger.warn({ file: entry.ready.ref.relativePath, ms: now - entry.enteredAt }, `file ${entry.ready.ref.relativePath} has not left the app's stages after ${Math.round((now - entry.enteredAt) / 1000)} s`);
    }
  }
}

/** Before the app's stages: files go in (and are noted at the gate), settlements go around. */
export class FileStageTap extends Transform {
  readonly #gate: FileStageGate;

  constructor(gate: FileStageGate) {
    super({ objectMode: true, highWaterMark: 4 });
    this.#gate = gate;
  }

  override _transform(item: SinkEvent, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (item.kind !== 'file') {
      this.#gate.passAround(item);
      return callback();
    }
    this.#gate.enter(item);
    callback(null, item);
  }
}
