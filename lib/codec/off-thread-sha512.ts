/**
 * SHA-512 on worker threads, so the consumer's main thread goes on fetching, decoding and writing
 * while chunks are verified and files are hashed. Two workers: one keeps the incremental hashes of
 * files being rebuilt (`OffThreadSha512`), one digests single chunks (`sha512OnWorker`), so the
 * two passes every byte needs run beside each other and beside the main thread.
 *
 * In: bytes, copied once into a pooled, transferred buffer (the caller may reuse its bytes as soon
 * as the call returned or its promise resolved; a view is never cloned with the whole buffer behind
 * it, e.g. a fetch's decompressed batch). Buffers come back from the worker and are filled again:
 * no garbage and no fresh pages on either side of the port. Out: 64-byte digests.
 * Backpressure: bytes sent to a worker and not yet hashed are bounded (`MAX_BYTES_IN_FLIGHT` per
 * worker); a call waits while the bound is reached, which keeps memory flat when a worker is
 * slower than the stream. Updates of one hash are ordered (one MessagePort is FIFO).
 * Lifetime: a worker starts with its first use and keeps the process alive only while something
 * awaits it (a digest, or room for more bytes); `dispose()` forgets a hash that will not be digested.
 * Errors: if a worker dies, pending and later calls on it reject with ERR_HASH_WORKER (the stream
 * that used them fails; nothing was committed past them); the next use starts a new worker.
 */
import { Worker } from 'node:worker_threads';
import { DataFileStreamError } from '../errors.js';

export const MAX_BYTES_IN_FLIGHT = 4 * 1024 * 1024;
const MIN_CAPACITY = 64 * 1024;

/**
 * The worker's module (sha512-worker.ts) beside this one: `.js` in dist/ and in an installed
 * package, `.ts` when this file itself runs as TypeScript (the tests, under `--import tsx`).
 */
export const WORKER_URL = new URL(`./sha512-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * Worker options: the process's flags are inherited as Node inherits them, except under
 * `--input-type`, which Node would apply to the worker's file and then refuse to load it
 * (`node --input-type=module -e ...` could otherwise not hash): then the flags minus that one are
 * given explicitly. Only then: an explicit list is checked flag by flag, and some flags a process
 * may have (Node 24's test runner gives its children V8 and TLS options) are refused in a worker.
 */
function workerOptions(): { execArgv?: string[] } {
  const argv = process.execArgv;
  if (!argv.some((arg) => arg === '--input-type' || arg.startsWith('--input-type='))) return {};
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--input-type') i++;
    else if (!arg.startsWith('--input-type=')) kept.push(arg);
  }
  return { execArgv: kept };
}

function startWorker(): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, workerOptions());
  // On Node 20 a worker does not get the main thread's tsx hooks (neither from `--import tsx` in
  // execArgv), so the TypeScript worker is started by a two-line module that registers tsx first.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(WORKER_URL.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), workerOptions());
}

type Reply =
  | { op: 'ack'; bytes: number; buffer: ArrayBuffer; id?: number; digest?: Uint8Array }
  | { op: 'digest'; id: number; digest?: Uint8Array; error?: string };

function workerFailed(cause: unknown): Error {
  return new DataFileStreamError('ERR_HASH_WORKER', `the SHA-512 worker thread failed: ${(cause as Error)?.message ?? String(cause)}`, {}, cause);
}

/** One worker thread, its pool of transfer buffers and the digests awaited from it. */
class HashWorker {
  readonly #worker: Worker;
  #inFlight = 0;
  /** Buffers back from the worker, by capacity (a power of two), for the next copies. */
  readonly #free = new Map<number, ArrayBuffer[]>();
  #pooledBytes = 0;
  readonly #waiters: Array<() => void> = [];
  readonly #digests = new Map<number, { resolve: (digest: Buffer) => void; reject: (err: Error) => void }>();
  failed: Error | undefined;

  constructor() {
    this.#worker = startWorker();
    this.#worker.on('message', (m: Reply) => this.#onReply(m));
    const fail = (err: unknown): void => {
      if (this.failed) return;
      this.failed = workerFailed(err);
      for (const p of this.#digests.values()) p.reject(this.failed);
      this.#digests.clear();
      this.#settleWaiters();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    // After the listeners: adding a 'message' listener to a Worker refs its port again, so an
    // earlier unref() was undone and a process that hashed without digesting (a pipeline that
    // failed mid-file) never exited.
    this.#worker.unref();
  }

  /** Copies `data` into a pooled buffer and posts it; resolves once the bytes in flight allow. */
  async post(op: 'update' | 'once', id: number, data: Uint8Array): Promise<void> {
    while (this.#inFlight >= MAX_BYTES_IN_FLIGHT && !this.failed) {
      const room = new Promise<void>((resolve) => this.#waiters.push(resolve));
      this.#refWhileAwaited();
      await room;
    }
    if (this.failed) throw this.failed;
    const capacity = Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2(Math.max(1, data.byteLength))));
    const reused = this.#free.get(capacity)?.pop();
    if (reused) this.#pooledBytes -= capacity;
    const buffer = reused ?? new ArrayBuffer(capacity);
    const copy = new Uint8Array(buffer, 0, data.byteLength);
    copy.set(data);
    this.#inFlight += copy.byteLength;
    this.#worker.postMessage({ op, id, data: copy }, [buffer]);
  }

  /** A promise for the digest the worker will send for `id`; keeps the process alive until then. */
  awaitDigest(id: number): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<Buffer>((resolve, reject) => {
      this.#digests.set(id, { resolve, reject });
      this.#refWhileAwaited();
    });
  }

  send(message: { op: 'digest' | 'drop'; id: number } | { op: 'range'; id: number; path: string; offset: number; length: number }): void {
    if (!this.failed) this.#worker.postMessage(message);
  }

  #onReply(m: Reply): void {
    if (m.op === 'ack') {
      this.#inFlight -= m.bytes;
      if (this.#pooledBytes + m.buffer.byteLength <= MAX_BYTES_IN_FLIGHT) {
        const list = this.#free.get(m.buffer.byteLength) ?? [];
        list.push(m.buffer);
        this.#free.set(m.buffer.byteLength, list);
        this.#pooledBytes += m.buffer.byteLength;
      }
      this.#settleWaiters();
    }
    if (m.id === undefined || (m.digest === undefined && (m.op !== 'digest' || m.error === undefined))) return;
    const pending = this.#digests.get(m.id);
    this.#digests.delete(m.id);
    this.#refWhileAwaited();
    if (m.digest) pending?.resolve(Buffer.from(m.digest.buffer, m.digest.byteOffset, m.digest.byteLength));
    else pending?.reject(new DataFileStreamError('ERR_HASH_WORKER', `the SHA-512 worker could not read the bytes to hash: ${m.op === 'digest' ? m.error : ''}`, {}));
  }

  #settleWaiters(): void {
    while (this.#waiters.length > 0 && (this.#inFlight < MAX_BYTES_IN_FLIGHT || this.failed)) this.#waiters.shift()!();
    this.#refWhileAwaited();
  }

  /** The worker keeps the process alive exactly while a digest or room for bytes is awaited. */
  #refWhileAwaited(): void {
    if (this.#digests.size > 0 || this.#waiters.length > 0) this.#worker.ref();
    else this.#worker.unref();
  }
}

const workers: { files?: HashWorker; chunks?: HashWorker } = {};
let nextId = 1;

function worker(role: 'files' | 'chunks'): HashWorker {
  const current = workers[role];
  if (current && !current.failed) return current;
  return (workers[role] = new HashWorker());
}

/** SHA-512 of `data` on the chunk worker; `data` may be reused once this returned its promise. */
export async function sha512OnWorker(data: Uint8Array): Promise<Buffer> {
  const w = worker('chunks');
  const id = nextId++;
  await w.post('once', id, data);
  // Registered before the reply can arrive: replies are message events, this is a microtask.
  return w.awaitDigest(id);
}

/** A hash kept on a worker under one id: digested once, or dropped. */
abstract class WorkerHash {
  protected readonly id = nextId++;
  protected readonly worker: HashWorker;
  #done = false;

  protected constructor(role: 'files' | 'chunks') {
    this.worker = worker(role);
  }

  digest(): Promise<Buffer> {
    this.#done = true;
    const digest = this.worker.awaitDigest(this.id);
    this.worker.send({ op: 'digest', id: this.id });
    return digest;
  }

  /** Forgets this hash (it will not be digested). Idempotent. */
  dispose(): void {
    if (this.#done) return;
    this.#done = true;
    this.worker.send({ op: 'drop', id: this.id });
  }
}

/**
 * An incremental SHA-512, kept on the file worker (a file's `file_hash`), or on the chunk worker
 * (`'chunks'`: an uploader hashes each chunk beside the whole file).
 */
export class OffThreadSha512 extends WorkerHash {
  constructor(role: 'files' | 'chunks' = 'files') {
    super(role);
  }

  /** Queues `data` for hashing; resolves once it may be followed by more (bytes in flight bounded). */
  update(data: Uint8Array): Promise<void> {
    return this.worker.post('update', this.id, data);
  }
}

/**
 * The SHA-512 of a file being written, kept on the file worker from ranges of the file itself:
 * `update(offset, length)` names bytes already written (in order, each range following the last),
 * and the worker reads them from the page cache, so this thread neither copies nor sends them.
 * `digest()` rejects with ERR_HASH_WORKER when the file could not be read (the caller then reads
 * it itself). The file must stay at `path` until `digest()` resolved.
 */
export class FileRangeSha512 extends WorkerHash {
  constructor(readonly path: string) {
    super('files');
  }

  update(offset: number, length: number): void {
    if (length > 0) this.worker.send({ op: 'range', id: this.id, path: this.path, offset, length });
  }
}
