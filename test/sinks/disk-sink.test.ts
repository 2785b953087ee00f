import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChunkAssembler } from '../../lib/assembler/chunk-assembler.js';
import type { DataFileStreamError } from '../../lib/errors.js';
import type { AssemblyEvent, SinkEvent } from '../../lib/pipeline-events.js';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import { DiskSink, STAGING_DIR_NAME } from '../../lib/sinks/disk-sink.js';
import type { DataFileChunk } from '../../lib/types.js';
import { chunksOf, drive, interleave, Log, prng, realFile, recordEvents, run, shuffle, silent, tempDir, tick } from '../support/stage-fixtures.js';

type Ready = Extract<SinkEvent, { kind: 'file' }>;
type Settle = Extract<SinkEvent, { kind: 'settle' }>;

function sink(outputDir: string, keepInMemory = false): DiskSink {
  return new DiskSink({ outputDir, logger: silent, keepInMemory });
}

function assembler(): ChunkAssembler {
  return new ChunkAssembler({ logger: silent, reservedTopLevel: ['LOGS', STAGING_DIR_NAME] });
}

/** `bytes` of content that differs per seed and per 4 KiB page (cheap to make, big enough for the hash worker). */
function seededContent(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const content = Buffer.alloc(bytes);
  for (let i = 0; i < content.length; i += 4096) content.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  return content;
}

async function stagingLeftovers(outputDir: string): Promise<string[]> {
  const dir = join(outputDir, STAGING_DIR_NAME);
  return existsSync(dir) ? (await readdir(dir)).filter((n) => n.endsWith('.part')) : [];
}

/** Every file under `dir`, relative, `/`-separated, staging excluded. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).includes(STAGING_DIR_NAME))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .sort();
}

test('files are rebuilt byte for byte at outputDir/relativePath, whatever the chunk order', async (t) => {
  const outputDir = await tempDir(t);
  const random = prng(11);
  const files = [
    { path: 'xrd/scan_001.csv', content: await realFile('xrd'), order: 'in-order', chunkSize: 4095 }, // last chunk: 10 bytes
    { path: 'thermal/2024/dsc_run_1.csv', content: await realFile('thermal'), order: 'reversed', chunkSize: 4096 },
    { path: 'top_level.dat', content: await realFile('golden'), order: 'shuffled', chunkSize: 1000 },
    { path: 'tensile/A1.csv', content: await realFile('tensileA1'), order: 'shuffled', chunkSize: 5760 }, // exactly one chunk
    { path: 'tensile/A2.csv', content: await realFile('tensileA2'), order: 'reversed', chunkSize: 1 << 20 },
  ];
  const sequences = files.map((f) => {
    const slash = f.path.lastIndexOf('/');
    const chunks = chunksOf(f.content, { subdir: slash < 0 ? '' : f.path.slice(0, slash), filename: f.path.slice(slash + 1), chunkSize: f.chunkSize });
    return f.order === 'in-order' ? chunks : f.order === 'reversed' ? chunks.reverse() : shuffle(chunks, random);
  });
  const log = new Log();
  const out = await run<SinkEvent>(interleave(sequences, random).map((c) => log.item(c)), assembler(), sink(outputDir));
  assert.deepEqual(out.map((e) => e.kind), files.map(() => 'file'));
  for (const f of files) {
    const ready = out.find((e): e is Ready => e.kind === 'file' && e.ref.relativePath === f.path);
    assert.ok(ready, f.path);
    assert.equal(ready.file.fullFilepath, join(outputDir, f.path));
    assert.ok((await readFile(join(outputDir, f.path))).equals(f.content), `${f.path} (${f.order}) differs`);
    assert.equal(ready.file.size, f.content.length);
    assert.equal(ready.file.inMemory, false, 'disk mode holds no bytes until asked');
    assert.ok(ready.file.bytestring.equals(f.content), 'bytestring reads the file lazily');
    assert.equal(ready.file.filename, f.path.split('/').at(-1));
  }
  assert.deepEqual(await tree(outputDir), files.map((f) => f.path).sort());
  assert.deepEqual(await stagingLeftovers(outputDir), []);
});

test('nothing is at the final path until the last chunk arrived and the hash matched', async (t) => {
  const outputDir = await tempDir(t);
  const content = await realFile('thermal');
  const chunks = shuffle(chunksOf(content, { subdir: 'slow', filename: 'dsc.csv', chunkSize: 3000 }), prng(5));
  const log = new Log();
  const events = await run<AssemblyEvent>(chunks.map((c) => log.item(c)), assembler());
  const lastChunk = events.findLastIndex((e) => e.kind === 'chunk');
  const finalPath = join(outputDir, 'slow', 'dsc.csv');
  let checked = false;
  const out = await drive<SinkEvent>(sink(outputDir), events, async (i) => {
    if (i === lastChunk - 1) {
      checked = true;
      assert.equal(existsSync(finalPath), false, 'final path exists before the last chunk');
      assert.equal(existsSync(join(outputDir, 'slow')), false, 'not even its directory');
      assert.equal((await stagingLeftovers(outputDir)).length, 1, 'the partial file is in staging');
    }
    if (i === lastChunk) assert.equal(existsSync(finalPath), false, 'all chunks written but not verified yet');
  });
  assert.ok(checked);
  assert.equal(out.length, 1);
  assert.ok((await readFile(finalPath)).equals(content));
});

test('a wrong file hash: settled mismatched_hash, no final file, staging cleaned', async (t) => {
  const outputDir = await tempDir(t);
  const content = await realFile('tensileA1');
  const log = new Log();
  const lying = chunksOf(content, { subdir: 'bad', filename: 'A1.csv', chunkSize: 2048, fileHash: sha512(Buffer.from('something else')) });
  const honest = chunksOf(await realFile('tensileA2'), { subdir: 'good', filename: 'A2.csv', chunkSize: 2048 });
  const out = await run<SinkEvent>(interleave([lying, honest], prng(2)).map((c) => log.item(c)), assembler(), sink(outputDir));
  const mismatch = out.find((e): e is Settle => e.kind === 'settle');
  assert.ok(mismatch);
  assert.equal(mismatch.outcome, 'mismatched_hash');
  assert.equal((mismatch.error as DataFileStreamError).code, 'ERR_FILE_HASH_MISMATCH');
  assert.equal(mismatch.file?.relativePath, 'bad/A1.csv');
  assert.equal(mismatch.positions.length, lying.length);
  assert.equal(existsSync(join(outputDir, 'bad', 'A1.csv')), false);
  assert.ok(out.some((e) => e.kind === 'file' && e.ref.relativePath === 'good/A2.csv'), 'the other file is unaffected');
  assert.deepEqual(await stagingLeftovers(outputDir), []);
});

test('filename_append is applied between stem and last suffix', async (t) => {
  const outputDir = await tempDir(t);
  const content = await realFile('golden');
  const log = new Log();
  const out = await run<Ready>(chunksOf(content, { subdir: 'arch', filename: 'data.tar.gz', append: '_v2', chunkSize: 4096 }).map((c) => log.item(c)), assembler(), sink(outputDir));
  assert.equal(out[0]!.ref.relativePath, 'arch/data.tar_v2.gz');
  assert.equal(out[0]!.file.filename, 'data.tar_v2.gz');
  assert.ok((await readFile(join(outputDir, 'arch', 'data.tar_v2.gz'))).equals(content));
  assert.deepEqual(await tree(outputDir), ['arch/data.tar_v2.gz']);
});

test('a symlink planted in the output dir is never written through', async (t) => {
  const outputDir = await tempDir(t);
  const elsewhere = await tempDir(t, 'dfs-elsewhere-');
  await symlink(elsewhere, join(outputDir, 'sub'));
  await writeFile(join(elsewhere, 'victim.csv'), 'precious');
  await symlink(join(elsewhere, 'victim.csv'), join(outputDir, 'link.csv'));
  const content = await realFile('tensileA1');
  const log = new Log();
  const items = [
    ...chunksOf(content, { subdir: 'sub', filename: 'x.csv', chunkSize: 2000 }),
    ...chunksOf(content, { subdir: 'sub/deeper', filename: 'y.csv', chunkSize: 2000 }),
    ...chunksOf(content, { filename: 'link.csv', chunkSize: 2000 }),
    ...chunksOf(content, { subdir: 'fine', filename: 'z.csv', chunkSize: 2000 }),
  ].map((c) => log.item(c));
  let out: SinkEvent[] = [];
  let failure: unknown;
  try {
    out = await run<SinkEvent>(items, assembler(), sink(outputDir));
  } catch (err) {
    failure = err;
  }
  // Whatever happens, nothing was written outside the output directory.
  assert.deepEqual((await readdir(elsewhere)).sort(), ['victim.csv']);
  assert.equal(await readFile(join(elsewhere, 'victim.csv'), 'utf8'), 'precious');
  // And a symlink in one path does not stop the consumer: it is that file's problem only.
  assert.equal(failure, undefined, `the stream failed: ${(failure as Error)?.message}`);
  const settles = out.filter((e): e is Settle => e.kind === 'settle');
  // Failed for good (recorded as failed in the registry), with the coded reason.
  assert.deepEqual(settles.map((s) => [s.file?.relativePath, s.outcome, (s.error as DataFileStreamError | undefined)?.code]), [
    ['sub/x.csv', 'failed', 'ERR_UNSAFE_PATH'],
    ['sub/deeper/y.csv', 'failed', 'ERR_UNSAFE_PATH'],
    ['link.csv', 'failed', 'ERR_UNSAFE_PATH'],
  ]);
  assert.deepEqual(settles.map((s) => s.positions.length), [3, 3, 3], 'every record of the refused file is settled');
  assert.ok(out.some((e) => e.kind === 'file' && e.ref.relativePath === 'fine/z.csv'));
  assert.deepEqual(await stagingLeftovers(outputDir), []);
});

test('a path that collides with an existing file or directory is refused, not fatal', async (t) => {
  const outputDir = await tempDir(t);
  const content = await realFile('tensileA2');
  const log = new Log();
  const seq = (subdir: string, filename: string): DataFileChunk[] => chunksOf(content, { subdir, filename, chunkSize: 3000 });
  const items = [...seq('', 'a'), ...seq('a', 'b.csv'), ...seq('d', 'x.csv'), ...seq('', 'd'), ...seq('ok', 'ok.csv')].map((c) => log.item(c));
  const out = await run<SinkEvent>(items, assembler(), sink(outputDir));
  assert.deepEqual(
    out.map((e) => (e.kind === 'file' ? `file:${e.ref.relativePath}` : `${e.outcome}:${e.file?.relativePath}:${(e.error as DataFileStreamError).code}`)),
    ['file:a', 'failed:a/b.csv:ERR_DISK_WRITE', 'file:d/x.csv', 'failed:d:ERR_DISK_WRITE', 'file:ok/ok.csv'],
  );
  const errnos = out.flatMap((e) => (e.kind === 'settle' ? [(e.error as unknown as { errno: string }).errno] : []));
  assert.deepEqual(errnos, ['ENOTDIR', 'EISDIR'], 'a/b.csv: "a" is a file; d: a directory is there');
  assert.deepEqual(await tree(outputDir), ['a', 'd/x.csv', 'ok/ok.csv']);
  assert.deepEqual(await stagingLeftovers(outputDir), []);
});

test("'both' mode keeps the bytes in memory as well as on disk", async (t) => {
  const outputDir = await tempDir(t);
  const content = await realFile('xrd');
  const log = new Log();
  const out = await run<Ready>(shuffle(chunksOf(content, { subdir: 'x', filename: 'scan.csv', chunkSize: 8192 }), prng(9)).map((c) => log.item(c)), assembler(), sink(outputDir, true));
  const { file } = out[0]!;
  assert.equal(file.inMemory, true);
  assert.ok(file.bytestring.equals(content));
  assert.ok((await readFile(file.fullFilepath!)).equals(content));
  out[0]!.release();
  assert.equal(file.inMemory, false, 'release() drops the copy; the file stays readable from disk');
  assert.ok(file.bytestring.equals(content));
});

test('an empty file is one empty chunk and is written as an empty file', async (t) => {
  const outputDir = await tempDir(t);
  const log = new Log();
  const chunks = chunksOf(Buffer.alloc(0), { subdir: 'e', filename: 'empty.txt' });
  assert.equal(chunks.length, 1);
  const out = await run<Ready>(chunks.map((c) => log.item(c)), assembler(), sink(outputDir));
  assert.equal(out[0]!.kind, 'file');
  assert.equal(out[0]!.file.size, 0);
  assert.deepEqual(await readFile(join(outputDir, 'e', 'empty.txt')), Buffer.alloc(0));
});

test('a superseded generation is discarded from staging; settlements pass through in order', async (t) => {
  const outputDir = await tempDir(t);
  const log = new Log();
  const old = chunksOf(await realFile('tensileA1'), { filename: 'f.csv', chunkSize: 1000 });
  const newer = chunksOf(await realFile('thermal'), { filename: 'f.csv', chunkSize: 1000 });
  const items = [log.item(old[0]!), log.item(old[1]!), ...newer.map((c) => log.item(c))];
  const events = await run<AssemblyEvent>(items, assembler());
  let sawTwo = false;
  const out = await drive<SinkEvent>(sink(outputDir), events, async (i) => {
    if (events[i]!.kind === 'chunk' && i === 1) {
      sawTwo = (await stagingLeftovers(outputDir)).length === 1;
    }
  });
  assert.ok(sawTwo);
  assert.deepEqual(out.map((e) => (e.kind === 'file' ? 'file' : e.outcome)), ['superseded', 'file']);
  assert.deepEqual((out[0] as Settle).positions.map((p) => p.offset), ['0', '1']);
  assert.ok((await readFile(join(outputDir, 'f.csv'))).equals(await realFile('thermal')));
  assert.deepEqual(await stagingLeftovers(outputDir), []);
});

test('destroy(err) mid-file: error then close, nothing emitted after, no final file', async (t) => {
  const outputDir = await tempDir(t);
  const log = new Log();
  const content = await realFile('thermal');
  const events = await run<AssemblyEvent>(chunksOf(content, { filename: 'f.csv', chunkSize: 4096 }).map((c) => log.item(c)), assembler());
  const stage = sink(outputDir);
  const seen = recordEvents(stage);
  for (const e of events.slice(0, 3)) stage.write(e);
  const boom = new Error('boom');
  stage.destroy(boom);
  let late: unknown;
  stage.write(events.at(-1), (err) => (late = err));
  await tick(20);
  assert.deepEqual(seen, ['error', 'close']);
  assert.equal(stage.errored, boom);
  assert.equal((late as NodeJS.ErrnoException | undefined)?.code, 'ERR_STREAM_DESTROYED');
  assert.equal(existsSync(join(outputDir, 'f.csv')), false);
  await mkdir(join(outputDir, 'probe')); // the directory is still usable (no handle keeps it busy)
});

test('files are committed while later ones are written, yet two generations of one path land in order', async (t) => {
  const outputDir = await tempDir(t);
  const log = new Log();
  // The older generation is big (hashed on the worker, slow to verify), the newer one tiny: the
  // newer would reach the final path first if commits of one path could overlap.
  const older = seededContent(12 << 20, 21);
  const newer = Buffer.from('the newer generation');
  const small = Array.from({ length: 30 }, (_, i) => ({ path: `many/f${i}.dat`, content: Buffer.from(`small file ${i} `.repeat(i + 1)) }));
  const olderChunks = chunksOf(older, { subdir: 'gen', filename: 'f.bin', chunkSize: 1 << 20 });
  const items = [
    ...olderChunks,
    ...olderChunks, // sent again (a re-upload): the same staging file, while the first copy commits
    ...chunksOf(newer, { subdir: 'gen', filename: 'f.bin', chunkSize: 1 << 20 }),
    ...small.flatMap((f) => chunksOf(f.content, { subdir: 'many', filename: f.path.slice(5), chunkSize: 64 })),
  ].map((c) => log.item(c));
  const out = await run<SinkEvent>(items, assembler(), sink(outputDir));
  const ready = out.filter((e): e is Ready => e.kind === 'file');
  assert.equal(ready.length, 2 + small.length, 'every file and both generations pushed before the end');
  const skipped = out.filter((e): e is Settle => e.kind === 'settle' && e.outcome === 'skipped').flatMap((e) => e.positions);
  assert.equal(skipped.length, olderChunks.length, 'the copy sent again is settled as already done');
  assert.ok((await readFile(join(outputDir, 'gen', 'f.bin'))).equals(newer), 'the newer generation is what stays');
  for (const f of small) assert.ok((await readFile(join(outputDir, f.path))).equals(f.content), f.path);
  assert.deepEqual(await stagingLeftovers(outputDir), []);
});

test('a file whose chunks come again while its first copy is being committed is committed twice, intact', async (t) => {
  const outputDir = await tempDir(t);
  const log = new Log();
  const content = seededContent(6 << 20, 5);
  const events = await run<AssemblyEvent>(chunksOf(content, { subdir: 'again', filename: 'f.bin', chunkSize: 1 << 20 }).map((c) => log.item(c)), assembler());
  // The assembler settles a repeat of a file it just completed itself; one that forgot it (or a
  // sink fed directly) sends the same staging file's events again right behind the complete.
  const out = await drive<SinkEvent>(sink(outputDir), [...events, ...events]);
  assert.deepEqual(out.map((e) => e.kind), ['file', 'file']);
  assert.ok((await readFile(join(outputDir, 'again', 'f.bin'))).equals(content));
  assert.deepEqual(await stagingLeftovers(outputDir), []);
});

test('a corrupt chunk found by the file hash when the file cannot go back to assembly (input ended) is still recorded as rejected; the rest is mismatched_hash', async (t) => {
  const outputDir = await tempDir(t);
  const content = seededContent(6 * 2048, 71);
  const chunks = chunksOf(content, { subdir: 'late', filename: 'corrupt.bin', chunkSize: 2048 });
  const data = Buffer.from(chunks[3]!.data);
  data[5] = data[5]! ^ 0xff; // the bytes change, the chunk_hash field does not
  chunks[3] = { ...chunks[3]!, data };
  const log = new Log();
  const asm = new ChunkAssembler({ logger: silent, reservedTopLevel: ['LOGS', STAGING_DIR_NAME], verdictsFromSink: true });
  const disk = new DiskSink({ outputDir, logger: silent, verdicts: asm });
  // The input ends with the last chunk, so by the file's verdict the assembler takes nothing more.
  const out = await run<SinkEvent>(chunks.map((c) => log.item(c)), asm, disk);
  const settles = out.filter((e): e is Settle => e.kind === 'settle');
  const rejected = settles.find((e) => e.outcome === 'rejected');
  assert.ok(rejected, `a rejected settlement: got ${settles.map((e) => e.outcome).join(', ')}`);
  assert.equal((rejected.error as DataFileStreamError).code, 'ERR_CHUNK_HASH_MISMATCH');
  assert.equal(rejected.positions.length, 1, 'the corrupt chunk alone');
  const mismatched = settles.find((e) => e.outcome === 'mismatched_hash');
  assert.ok(mismatched, 'the file is dropped');
  assert.equal(mismatched.positions.length, chunks.length - 1, 'the other records settle with the file');
  assert.equal(existsSync(join(outputDir, 'late', 'corrupt.bin')), false);
});
