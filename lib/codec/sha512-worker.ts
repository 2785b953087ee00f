/**
 * The SHA-512 worker thread's side of lib/codec/off-thread-sha512.ts (which starts it with
 * `new Worker(url)`; nothing imports this file).
 *
 * In, over `parentPort`, in order: `update` (bytes of hash `id`, in a transferred buffer),
 * `once` (bytes to digest on their own), `range` (bytes already written to a file: read here
 * from the page cache, so the main thread neither copies nor sends them), `digest`, `drop`.
 * Out: `ack` for each transferred buffer (the buffer goes back to the sender's pool, with the
 * digest of a `once`), `digest` with 64 bytes or with the error met reading a range.
 * A failed range marks its hash: later ranges are skipped and its digest reports the error.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

type Message =
  | { op: 'update' | 'once'; id: number; data: Uint8Array }
  | { op: 'range'; id: number; path: string; offset: number; length: number }
  | { op: 'digest' | 'drop'; id: number };

const port = parentPort!;
const hashes = new Map<number, Hash>();
const files = new Map<number, number>();
const failed = new Map<number, string>();
const scratch = Buffer.allocUnsafe(1024 * 1024);

function hashOf(id: number): Hash {
  let hash = hashes.get(id);
  if (!hash) hashes.set(id, (hash = createHash('sha512')));
  return hash;
}

function forget(id: number): void {
  hashes.delete(id);
  failed.delete(id);
  const fd = files.get(id);
  files.delete(id);
  if (fd !== undefined) {
    try {
      closeSync(fd);
    } catch {
      // already closed or gone: nothing left to release
    }
  }
}

/** Returns the transferred buffer to the sender's pool. */
function giveBack(data: Uint8Array, extra: { id?: number; digest?: Buffer } = {}): void {
  port.postMessage({ op: 'ack', bytes: data.byteLength, buffer: data.buffer, ...extra }, [data.buffer as ArrayBuffer]);
}

function hashRange(m: { id: number; path: string; offset: number; length: number }): void {
  if (failed.has(m.id)) return;
  const hash = hashOf(m.id);
  try {
    let fd = files.get(m.id);
    if (fd === undefined) files.set(m.id, (fd = openSync(m.path, constants.O_RDONLY | constants.O_NOFOLLOW)));
    for (let done = 0; done < m.length; ) {
      const n = readSync(fd, scratch, 0, Math.min(scratch.length, m.length - done), m.offset + done);
      if (n === 0) throw new Error('the file is shorter than the bytes to hash');
      hash.update(scratch.subarray(0, n));
      done += n;
    }
  } catch (err) {
    failed.set(m.id, String((err as Error)?.message ?? err));
  }
}

function digest(id: number): void {
  const error = failed.get(id);
  const hash = hashes.get(id) ?? createHash('sha512');
  forget(id);
  if (error !== undefined) {
    port.postMessage({ op: 'digest', id, error });
    return;
  }
  const bytes = hash.digest();
  port.postMessage({ op: 'digest', id, digest: bytes }, [bytes.buffer as ArrayBuffer]);
}

port.on('message', (m: Message) => {
  if (m.op === 'update') {
    hashOf(m.id).update(m.data);
    giveBack(m.data);
  } else if (m.op === 'once') {
    giveBack(m.data, { id: m.id, digest: createHash('sha512').update(m.data).digest() });
  } else if (m.op === 'range') {
    hashRange(m);
  } else if (m.op === 'digest') {
    digest(m.id);
  } else if (m.op === 'drop') {
    forget(m.id);
  }
});
