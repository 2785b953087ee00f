import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { MAX_BYTES_IN_FLIGHT, OffThreadSha512 } from '../../lib/codec/off-thread-sha512.js';

const sha512 = (data: Uint8Array): Buffer => createHash('sha512').update(data).digest();

test('digests equal node:crypto\'s, for interleaved hashes fed views of shared buffers', async () => {
  const files = Array.from({ length: 5 }, (_, i) => randomBytes(200_000 + i * 12_345));
  const hashes = files.map(() => new OffThreadSha512());
  // Views into one big buffer: only the view's bytes may be hashed, never its whole buffer.
  for (let at = 0; at < 300_000; at += 70_000) {
    await Promise.all(files.map((f, i) => (at < f.length ? hashes[i]!.update(Buffer.concat([Buffer.alloc(3), f.subarray(at, at + 70_000)]).subarray(3)) : undefined)));
  }
  const digests = await Promise.all(hashes.map((h) => h.digest()));
  digests.forEach((d, i) => assert.ok(d.equals(sha512(files[i]!)), `file ${i}`));
});

test('an empty hash digests to SHA-512 of nothing; dispose is idempotent', async () => {
  assert.ok((await new OffThreadSha512().digest()).equals(sha512(Buffer.alloc(0))));
  const h = new OffThreadSha512();
  await h.update(Buffer.from('abc'));
  h.dispose();
  h.dispose();
});

test('more than the in-flight bound is accepted, with updates waiting instead of queueing without limit', async () => {
  const h = new OffThreadSha512();
  const piece = randomBytes(4 * 1024 * 1024);
  const whole = createHash('sha512');
  const total = MAX_BYTES_IN_FLIGHT * 2 + piece.length;
  for (let sent = 0; sent < total; sent += piece.length) {
    await h.update(piece);
    whole.update(piece);
  }
  assert.ok((await h.digest()).equals(whole.digest()));
});

test('one-shot digests on the chunk worker, and sha512Async of inputs small, medium and big (in pieces), equal node:crypto\'s', async () => {
  const { sha512Async } = await import('../../lib/codec/chunk-hash.js');
  const { sha512OnWorker } = await import('../../lib/codec/off-thread-sha512.js');
  const inputs = [0, 1000, 65_536, 524_288, 1024 * 1024 + 1, 5 * 1024 * 1024 + 3].map((n) => randomBytes(n));
  const viaWorker = await Promise.all(inputs.map((data) => sha512OnWorker(data)));
  const viaAsync = await Promise.all(inputs.map((data) => sha512Async(data)));
  inputs.forEach((data, i) => {
    assert.ok(viaWorker[i]!.equals(sha512(data)), `sha512OnWorker, ${data.length} bytes`);
    assert.ok(viaAsync[i]!.equals(sha512(data)), `sha512Async, ${data.length} bytes`);
  });
});

test('FileRangeSha512: ranges read from the file by the worker digest like node:crypto; an unreadable file rejects with ERR_HASH_WORKER', async (t) => {
  const { FileRangeSha512 } = await import('../../lib/codec/off-thread-sha512.js');
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'range-hash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const content = randomBytes(3 * 1024 * 1024 + 777); // more than the worker's 1 MiB read buffer
  const path = join(dir, 'f.part');
  await writeFile(path, content);
  const h = new FileRangeSha512(path);
  for (const [offset, length] of [[0, 1000], [1000, 2 * 1024 * 1024], [1000 + 2 * 1024 * 1024, content.length - 1000 - 2 * 1024 * 1024]] as const) h.update(offset, length);
  assert.ok((await h.digest()).equals(sha512(content)));
  const short = new FileRangeSha512(path);
  short.update(0, content.length + 10);
  await assert.rejects(short.digest(), { code: 'ERR_HASH_WORKER' });
  const missing = new FileRangeSha512(join(dir, 'missing.part'));
  missing.update(0, 10);
  await assert.rejects(missing.digest(), { code: 'ERR_HASH_WORKER' });
});

test('the worker runs from its own module file beside this one (.ts under tsx), not from evaluated source', async () => {
  const { WORKER_URL } = await import('../../lib/codec/off-thread-sha512.js');
  assert.equal(WORKER_URL.href, new URL('../../lib/codec/sha512-worker.ts', import.meta.url).href);
  assert.ok(existsSync(WORKER_URL), 'the worker module exists');
  const source = readFileSync(new URL('../../lib/codec/off-thread-sha512.ts', import.meta.url), 'utf8');
  assert.doesNotMatch(source, /eval: true/);
});

test('from the built package under plain node (no tsx, and under --input-type, which a worker inherits), the worker digests and the process then exits by itself', async () => {
  const built = new URL('../../dist/lib/codec/off-thread-sha512.js', import.meta.url).href;
  const script = `const m = await import(${JSON.stringify(built)});\n` +
    `if (!m.WORKER_URL.href.endsWith('/dist/lib/codec/sha512-worker.js')) throw new Error(m.WORKER_URL.href);\n` +
    `process.stdout.write((await m.sha512OnWorker(Buffer.from('abc'))).toString('hex'));\n`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(stdout, sha512(Buffer.from('abc')).toString('hex'));
});
