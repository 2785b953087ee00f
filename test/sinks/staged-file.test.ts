import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StagedFile } from '../../lib/sinks/staged-file.js';

const sha512 = (data: Buffer): Buffer => createHash('sha512').update(data).digest();

async function stagingDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-staged-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `data` in `size`-byte chunks in the given chunk order and returns the file's digest. */
async function writeInOrder(dir: string, name: string, data: Buffer, size: number, order: number[]): Promise<{ digest: Buffer; file: StagedFile }> {
  const file = new StagedFile(dir, name);
  for (const i of order) await file.write(i * size, data.subarray(i * size, Math.min(data.length, (i + 1) * size)));
  return { digest: await file.digest(), file };
}

test('the digest is right whatever order the chunks arrive in', async (t) => {
  const dir = await stagingDir(t);
  const data = randomBytes(10 * 1000 + 123);
  const orders: Record<string, number[]> = {
    'in order': [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    'two swapped (a producer with requests in flight)': [0, 1, 3, 2, 4, 5, 6, 7, 8, 9, 10],
    'a run early': [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10],
    'reversed': [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    'interleaved like three partitions': [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8],
  };
  for (const [label, order] of Object.entries(orders)) {
    const { digest, file } = await writeInOrder(dir, `${label.replace(/\W+/g, '-')}.part`, data, 1000, order);
    assert.ok(digest.equals(sha512(data)), label);
    assert.equal(file.size, data.length, label);
    assert.ok((await readFile(file.path)).equals(data), label);
    await file.discard();
  }
});

test('bytes rewritten behind the hash are hashed from the file at the end', async (t) => {
  const dir = await stagingDir(t);
  const data = randomBytes(3000);
  const file = new StagedFile(dir, 'rewrite.part');
  await file.write(0, data.subarray(0, 1000));
  await file.write(2000, data.subarray(2000, 3000));
  await file.write(0, Buffer.alloc(1000)); // behind the hash: different bytes now at 0..1000
  await file.write(1000, data.subarray(1000, 2000));
  const expected = Buffer.concat([Buffer.alloc(1000), data.subarray(1000)]);
  assert.ok((await file.digest()).equals(sha512(expected)));
  await file.discard();
});

test('big chunks (hashed on the worker thread) give the same digest, in order and out of order', async (t) => {
  const dir = await stagingDir(t);
  const size = 128 * 1024;
  const data = randomBytes(size * 6 + 999);
  for (const [label, order] of Object.entries({ 'in order': [0, 1, 2, 3, 4, 5, 6], 'shuffled': [1, 0, 3, 2, 6, 5, 4] })) {
    const { digest, file } = await writeInOrder(dir, `big-${label.replace(/\W+/g, '-')}.part`, data, size, order);
    assert.ok(digest.equals(sha512(data)), label);
    await file.discard();
  }
});

test('commit with keep places a second name for the file and keeps the staging name until discard; placing it again leaves nothing behind', async (t) => {
  const root = await stagingDir(t);
  const staging = join(root, '.staging');
  const data = randomBytes(3000);
  const file = new StagedFile(staging, 'kept');
  await file.write(0, data);
  const target = await file.commit(root, 'out/kept.dat', undefined, true);
  assert.ok((await readFile(target)).equals(data));
  const [placed, kept] = await Promise.all([stat(target), stat(file.path)]);
  assert.equal(placed.ino, kept.ino, 'one file, two names: no copy');

  // A restart placing the same file again: the target already is this file.
  const again = new StagedFile(staging, 'kept');
  again.noteExisting(0, data.length);
  await again.commit(root, 'out/kept.dat', undefined, true);
  assert.deepEqual((await readdir(staging)).sort(), ['kept'], 'no .placing name left behind');
  await again.discard();
  assert.deepEqual(await readdir(staging), []);
  assert.ok((await readFile(target)).equals(data), 'the placed file stays');
});
