import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ChunkAssembler } from '../../lib/assembler/chunk-assembler.js';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import type { DataFileStreamError } from '../../lib/errors.js';
import type { AssemblyEvent, SinkEvent } from '../../lib/pipeline-events.js';
import { DiskSink } from '../../lib/sinks/disk-sink.js';
import { MemoryBuffer } from '../../lib/sinks/memory-buffer.js';
import type { DataFileChunk } from '../../lib/types.js';
import { chunksOf, drive, interleave, Log, prng, realFile, recordEvents, run, shuffle, silent, tempDir, tick } from '../support/stage-fixtures.js';

type Ready = Extract<SinkEvent, { kind: 'file' }>;
type Settle = Extract<SinkEvent, { kind: 'settle' }>;

async function setup(t: Parameters<typeof tempDir>[0], maxBytes?: number): Promise<{ buffer: MemoryBuffer; stagingDir: string }> {
  const stagingDir = join(await tempDir(t), 'staging');
  return { buffer: new MemoryBuffer({ logger: silent, stagingDir, ...(maxBytes !== undefined && { maxBytes }) }), stagingDir };
}

async function partFiles(stagingDir: string): Promise<string[]> {
  return existsSync(stagingDir) ? (await readdir(stagingDir)).filter((n) => n.endsWith('.part')) : [];
}

async function assemble(chunks: DataFileChunk[], log = new Log()): Promise<AssemblyEvent[]> {
  return run<AssemblyEvent>(chunks.map((c) => log.item(c)), new ChunkAssembler({ logger: silent }));
}

test('files are rebuilt byte for byte in memory, whatever the chunk order', async (t) => {
  const { buffer, stagingDir } = await setup(t);
  const random = prng(21);
  const files = [
    { path: 'xrd/scan.csv', content: await realFile('xrd'), chunks: (c: DataFileChunk[]) => c, chunkSize: 4095 },
    { path: 'thermal/run.csv', content: await realFile('thermal'), chunks: (c: DataFileChunk[]) => c.reverse(), chunkSize: 1024 },
    { path: 'golden.dat', content: await realFile('golden'), chunks: (c: DataFileChunk[]) => shuffle(c, random), chunkSize: 777 },
    { path: 'empty/nothing.txt', content: Buffer.alloc(0), chunks: (c: DataFileChunk[]) => c, chunkSize: 1 },
  ];
  const sequences = files.map((f) => {
    const slash = f.path.lastIndexOf('/');
    return f.chunks(chunksOf(f.content, { subdir: slash < 0 ? '' : f.path.slice(0, slash), filename: f.path.slice(slash + 1), chunkSize: f.chunkSize }));
  });
  const log = new Log();
  const out = await run<Ready>(interleave(sequences, random).map((c) => log.item(c)), new ChunkAssembler({ logger: silent }), buffer);
  assert.equal(out.length, files.length);
  let held = 0;
  for (const f of files) {
    const ready = out.find((e) => e.ref.relativePath === f.path)!;
    assert.equal(ready.kind, 'file');
    assert.equal(ready.file.inMemory, true);
    assert.equal(ready.file.fullFilepath, undefined, 'memory mode writes nothing');
    assert.ok(ready.file.bytestring.equals(f.content), f.path);
    assert.equal(ready.file.size, f.content.length);
    held += f.content.length;
  }
  assert.equal(buffer.bytesHeld, held, 'finished files count against the budget until released');
  for (const ready of out) ready.release();
  assert.equal(buffer.bytesHeld, 0);
  assert.equal(buffer.spills, 0);
  assert.deepEqual(await partFiles(stagingDir), []);
});

// 8000: the big file (23 chunks of 999 bytes) never fits and is staged from its first chunk on;
// 25000: it fits alone, so it is spilled while partial when the small file's buffer needs room.
for (const budget of [8000, 25000]) {
  test(`a budget smaller than both files (${budget} bytes): spills to staging, the files are still right, memory stays bounded`, async (t) => {
    const chunkSize = 999;
    const { buffer, stagingDir } = await setup(t, budget);
    const big = await realFile('thermal'); // 22823 bytes, 23 chunks
    const small = await realFile('tensileA1'); // 5760 bytes, 6 chunks
    const sequences = [
      shuffle(chunksOf(big, { subdir: 'big', filename: 'run.csv', chunkSize }), prng(4)),
      chunksOf(small, { subdir: 'small', filename: 'A1.csv', chunkSize }),
    ];
    const events = await assemble(interleave(sequences, prng(8)));
    let peak = 0;
    const out = await drive<SinkEvent>(buffer, events, () => {
      peak = Math.max(peak, buffer.bytesHeld);
      assert.ok(buffer.bytesHeld <= budget + chunkSize, `bytesHeld ${buffer.bytesHeld} over budget + one chunk`);
    });
    assert.ok(buffer.spills >= 1, 'something was spilled');
    assert.ok(peak > 0);
    const ready = out.filter((e): e is Ready => e.kind === 'file');
    assert.equal(ready.length, 2);
    const spilled = ready.filter((r) => !r.file.inMemory);
    assert.ok(spilled.length >= 1, 'a spilled file is handed over by path');
    if (budget < big.length) assert.deepEqual(spilled.map((r) => r.ref.relativePath), ['big/run.csv']);
    for (const r of spilled) assert.ok(r.file.fullFilepath?.startsWith(stagingDir));
    for (const [path, content] of [['big/run.csv', big], ['small/A1.csv', small]] as const) {
      const file = ready.find((r) => r.ref.relativePath === path)!.file;
      assert.ok(file.bytestring.equals(content), `${path}: bytestring (read from staging when spilled)`);
      assert.ok((await file.read()).equals(content), path);
    }
    for (const r of ready) r.release();
    await tick(20);
    assert.equal(buffer.bytesHeld, 0);
    assert.deepEqual(await partFiles(stagingDir), [], 'release() removes the spilled file');
  });
}

test('chunks of uneven sizes: a chunk that outgrows the buffer sized from the first one moves the file to staging', async (t) => {
  const { buffer, stagingDir } = await setup(t);
  const content = await realFile('thermal');
  // A producer with its own cutting: 3 chunks of 1000 bytes, then one with all the rest.
  const even = chunksOf(content.subarray(0, 3000), { filename: 'uneven.csv', fileHash: sha512(content) });
  const rest = chunksOf(content.subarray(3000), { filename: 'uneven.csv', fileHash: sha512(content), chunkSize: content.length })[0]!;
  const chunks = [...even, { ...rest, chunkOffsetWrite: 3000 }].map((c, i, all) => ({ ...c, chunkI: i + 1, nTotalChunks: all.length }));
  const out = await run<SinkEvent>(chunks.map((c) => new Log().item(c)), new ChunkAssembler({ logger: silent }), buffer);
  const ready = out.filter((e): e is Ready => e.kind === 'file');
  assert.equal(ready.length, 1);
  assert.equal(ready[0]!.file.inMemory, false, 'moved to staging');
  assert.ok(ready[0]!.file.fullFilepath?.startsWith(stagingDir));
  assert.ok(ready[0]!.file.bytestring.equals(content));
  assert.equal(buffer.spills, 1);
  ready[0]!.release();
  await tick(20);
  assert.equal(buffer.bytesHeld, 0);
});

test('finished files waiting for processing keep their bytes counted while new files arrive', async (t) => {
  // The budget is held by a finished, unreleased file; no partial file is left to spill.
  const budget = 6000;
  const { buffer, stagingDir } = await setup(t, budget);
  const first = await realFile('tensileA1'); // 5760: fits, then waits for processing
  const second = await realFile('tensileA2');
  const third = await realFile('golden');
  const log = new Log();
  const events = [
    ...(await assemble(chunksOf(first, { filename: 'first.csv', chunkSize: 1000 }), log)),
    ...(await assemble(chunksOf(second, { filename: 'second.csv', chunkSize: 1000 }), log)),
    ...(await assemble(chunksOf(third, { filename: 'third.dat', chunkSize: 1000 }), log)),
  ];
  let firstHeld = false;
  const out = await drive<SinkEvent>(buffer, events, (_i, emitted) => {
    firstHeld ||= emitted.some((e) => e.kind === 'file' && e.ref.relativePath === 'first.csv');
    // Whatever else happens, the unreleased first file's bytes are still in memory and counted.
    if (firstHeld) assert.ok(buffer.bytesHeld >= first.length, `bytesHeld ${buffer.bytesHeld} < ${first.length} held by first.csv`);
    assert.ok(buffer.bytesHeld <= budget + 1000, `bytesHeld ${buffer.bytesHeld} over budget + one chunk`);
  });
  const ready = out.filter((e): e is Ready => e.kind === 'file');
  assert.deepEqual(ready.map((r) => r.ref.relativePath), ['first.csv', 'second.csv', 'third.dat']);
  assert.ok(ready[1]!.file.bytestring.equals(second));
  assert.ok(ready[2]!.file.bytestring.equals(third));
  for (const r of ready) r.release();
  await tick(20);
  assert.equal(buffer.bytesHeld, 0);
  assert.deepEqual(await partFiles(stagingDir), []);
});

test('release() gives the budget back, once', async (t) => {
  const { buffer } = await setup(t, 20_000);
  const a = await realFile('tensileA1');
  const b = await realFile('tensileA2');
  const log = new Log();
  const events = [...(await assemble(chunksOf(a, { filename: 'a.csv' }), log)), ...(await assemble(chunksOf(b, { filename: 'b.csv' }), log))];
  const out = (await drive<SinkEvent>(buffer, events)).filter((e): e is Ready => e.kind === 'file');
  assert.equal(buffer.bytesHeld, a.length + b.length);
  out[0]!.release();
  assert.equal(buffer.bytesHeld, b.length);
  out[0]!.release();
  assert.equal(buffer.bytesHeld, b.length, 'a second release gives nothing more back');
  out[1]!.release();
  assert.equal(buffer.bytesHeld, 0);
});

test('a wrong file hash: settled mismatched_hash and its memory given back (in memory or spilled)', async (t) => {
  for (const budget of [1_000_000, 3000]) {
    const { buffer, stagingDir } = await setup(t, budget);
    const content = await realFile('tensileA2');
    const chunks = chunksOf(content, { subdir: 'm', filename: 'A2.csv', chunkSize: 1000, fileHash: sha512(Buffer.from('not it')) });
    const out = await drive<SinkEvent>(buffer, await assemble(chunks));
    assert.equal(out.length, 1);
    const settle = out[0] as Settle;
    assert.equal(settle.outcome, 'mismatched_hash', `budget ${budget}`);
    assert.equal((settle.error as DataFileStreamError).code, 'ERR_FILE_HASH_MISMATCH');
    assert.equal(settle.positions.length, chunks.length);
    assert.equal(buffer.bytesHeld, 0);
    await tick(20);
    assert.deepEqual(await partFiles(stagingDir), [], `budget ${budget}: staging cleaned`);
  }
});

test('the bytes handed to processing are the bytes whose hash was verified, as on disk', async (t) => {
  // Chunks that leave a hole: the disk sink writes positionally, so the hole reads as zeros.
  const content = Buffer.from((await realFile('golden')).subarray(0, 3000));
  content.fill(0, 1000, 2000);
  const fileHash = sha512(content);
  const piece = (i: number, offset: number): DataFileChunk => {
    const data = Buffer.from(content.subarray(offset, offset + 1000));
    return { filename: 'holes.bin', fileHash, chunkHash: sha512(data), chunkOffsetWrite: offset, chunkI: i, nTotalChunks: 2, subdirStr: '', filenameAppend: '', data, fileMtime: null };
  };
  const events = await assemble([piece(2, 2000), piece(1, 0)]);
  const { buffer } = await setup(t);
  const fromMemory = await drive<SinkEvent>(buffer, events);
  const outputDir = await tempDir(t);
  const fromDisk = await drive<SinkEvent>(new DiskSink({ outputDir, logger: silent }), events);
  assert.deepEqual(fromMemory.map((e) => e.kind), fromDisk.map((e) => e.kind), 'both sinks judge the file the same way');
  for (const e of [...fromMemory, ...fromDisk]) {
    if (e.kind !== 'file') continue;
    assert.ok(sha512(e.file.bytestring).equals(fileHash), 'the bytes handed over hash to file_hash');
    assert.equal(e.file.size, e.file.bytestring.length);
  }
});

test('a superseded generation gives its memory back and is settled', async (t) => {
  const { buffer } = await setup(t);
  const log = new Log();
  const old = chunksOf(await realFile('tensileA1'), { filename: 'f.csv', chunkSize: 1000 });
  const newer = chunksOf(await realFile('thermal'), { filename: 'f.csv', chunkSize: 1000 });
  const events = await assemble([old[0]!, old[1]!, ...newer], log);
  let afterDrop = -1;
  const out = await drive<SinkEvent>(buffer, events, (i) => {
    if (events[i]!.kind === 'drop') afterDrop = buffer.bytesHeld;
  });
  assert.equal(afterDrop, 0);
  assert.deepEqual(out.map((e) => (e.kind === 'file' ? 'file' : e.outcome)), ['superseded', 'file']);
});

test('destroy(err): error then close, nothing emitted after', async (t) => {
  const { buffer } = await setup(t, 3000);
  const events = await assemble(chunksOf(await realFile('thermal'), { filename: 'f.csv', chunkSize: 1000 }));
  const seen = recordEvents(buffer);
  for (const e of events.slice(0, 5)) buffer.write(e);
  buffer.destroy(new Error('boom'));
  let late: unknown;
  buffer.write(events.at(-1), (err) => (late = err));
  await tick(20);
  assert.deepEqual(seen, ['error', 'close']);
  assert.equal((late as NodeJS.ErrnoException | undefined)?.code, 'ERR_STREAM_DESTROYED');
});
