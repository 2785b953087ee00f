/**
 * OffThreadSha512: an incremental SHA-512 (a file's `file_hash`) whose work runs on one shared
 * worker thread, so the consumer's main thread goes on fetching, decoding and writing while a
 * big file is hashed. Updates are ordered per hash (one MessagePort is FIFO).
 *
 * In: `update(bytes)` (copied once into a transferable buffer; the caller may reuse its bytes
 * once the returned promise resolved), then `digest()`. Out: the 64-byte digest. Backpressure: bytes sent to the worker and not
 * yet hashed are bounded (`MAX_BYTES_IN_FLIGHT`, shared by every hash); `update` waits while the
 * bound is reached, which is what keeps memory flat when the worker is slower than the stream.
 * Lifetime: the worker starts with the first hash, never keeps the process alive by itself
 * (unref'd while nothing awaits it), and `dispose()` forgets a hash that will not be digested.
 * Errors: if the worker dies, pending and later calls of its hashes reject with ERR_HASH_WORKER
 * (the stream that used them fails; nothing was committed past them); a new hash starts a new
 * worker.
 */
import { Worker } from 'node:worker_threads';
import { DataFileStreamError } from '../errors.js';

export const MAX_BYTES_IN_FLIGHT = 8 * 1024 * 1024;
const MIN_CAPACITY = 64 * 1024;

// CommonJS run with `eval: true`: no file to resolve, so it works from dist/ and under tsx alike.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let h = hashes.get(m.id);
    if (!h) hashes.set(m.id, (h = createHash('sha512')));
    h.update(m.data);
    // The buffer goes back to be filled again: no garbage on either side of the port.
    parentPort.postMessage({ op: 'ack', bytes: m.data.byteLength, buffer: m.data.buffer }, [m.data.buffer]);
  } else if (m.op === 'digest') {
    const h = hashes.get(m.id) || createHash('sha512');
    hashes.delete(m.id);
    const digest = h.digest();
    parentPort.postMessage({ op: 'digest', id: m.id, digest }, [digest.buffer]);
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  }
});
`;

interface Shared {
  worker: Worker;
  inFlight: number;
  /** Buffers back from the worker, by capacity (a power of two), for the next copies. */
  free: Map<number, ArrayBuffer[]>;
  pooledBytes: number;
  waiters: Array<() => void>;
  digests: Map<number, { resolve: (digest: Buffer) => void; reject: (err: Error) => void }>;
  failed?: Error;
}

let shared: Shared | undefined;
let nextId = 1;

function workerFailed(cause: unknown): Error {
  return new DataFileStreamError('ERR_HASH_WORKER', `the SHA-512 worker thread failed: ${(cause as Error)?.message ?? String(cause)}`, {}, cause);
}

function pool(): Shared {
  if (shared && !shared.failed) return shared;
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  const s: Shared = { worker, inFlight: 0, free: new Map(), pooledBytes: 0, waiters: [], digests: new Map() };
  const settleWaiters = (): void => {
    while (s.waiters.length > 0 && (s.inFlight < MAX_BYTES_IN_FLIGHT || s.failed)) s.waiters.shift()!();
  };
  worker.on('message', (m: { op: 'ack'; bytes: number; buffer: ArrayBuffer } | { op: 'digest'; id: number; digest: Uint8Array }) => {
    if (m.op === 'ack') {
      s.inFlight -= m.bytes;
      if (s.pooledBytes + m.buffer.byteLength <= MAX_BYTES_IN_FLIGHT) {
        const list = s.free.get(m.buffer.byteLength) ?? [];
        list.push(m.buffer);
        s.free.set(m.buffer.byteLength, list);
        s.pooledBytes += m.buffer.byteLength;
      }
      settleWaiters();
      return;
    }
    const pending = s.digests.get(m.id);
    s.digests.delete(m.id);
    if (s.digests.size === 0) worker.unref();
    pending?.resolve(Buffer.from(m.digest.buffer, m.digest.byteOffset, m.digest.byteLength));
  });
  const fail = (err: unknown): void => {
    if (s.failed) return;
    s.failed = workerFailed(err);
    for (const p of s.digests.values()) p.reject(s.failed);
    s.digests.clear();
    settleWaiters();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
  // After the listeners: adding a 'message' listener to a Worker refs its port again, so an
  // earlier unref() was undone and a process that hashed without digesting (a pipeline that
  // failed mid-file) never exited.
  worker.unref();
  shared = s;
  return s;
}

export class OffThreadSha512 {
  readonly #id = nextId++;
  readonly #pool = pool();
  #done = false;

  /** Queues `data` for hashing; resolves once it may be followed by more (bytes in flight bounded). */
  async update(data: Uint8Array): Promise<void> {
    const s = this.#pool;
    while (s.inFlight >= MAX_BYTES_IN_FLIGHT && !s.failed) await new Promise<void>((resolve) => s.waiters.push(resolve));
    if (s.failed) throw s.failed;
    // Copied into a buffer of our own that is transferred, not cloned (cloning a view would copy
    // the whole buffer behind it, e.g. a fetch's decompressed batch).
    const capacity = Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2(Math.max(1, data.byteLength))));
    const reused = s.free.get(capacity)?.pop();
    if (reused) s.pooledBytes -= capacity;
    const buffer = reused ?? new ArrayBuffer(capacity);
    const copy = new Uint8Array(buffer, 0, data.byteLength);
    copy.set(data);
    s.inFlight += copy.byteLength;
    s.worker.postMessage({ op: 'update', id: this.#id, data: copy }, [buffer]);
  }

  async digest(): Promise<Buffer> {
    const s = this.#pool;
    if (s.failed) throw s.failed;
    this.#done = true;
    return new Promise<Buffer>((resolve, reject) => {
      s.digests.set(this.#id, { resolve, reject });
      s.worker.ref(); // something awaits the worker now
      s.worker.postMessage({ op: 'digest', id: this.#id });
    });
  }

  /** Forgets this hash (it will not be digested). Idempotent. */
  dispose(): void {
    if (this.#done) return;
    this.#done = true;
    if (!this.#pool.failed) this.#pool.worker.postMessage({ op: 'drop', id: this.#id });
  }
}
