import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Readable } from 'node:stream';
import { ChunkAssembler, type AssemblerRegistry } from '../../lib/assembler/chunk-assembler.js';
import { ChunkDecodeError, type DataFileStreamError } from '../../lib/errors.js';
import type { AssemblyEvent, FileRef, SourceItem } from '../../lib/pipeline-events.js';
import type { DataFileChunk, RecordPosition } from '../../lib/types.js';
import { chunksOf, interleave, Log, posKey, prng, realFile, recordEvents, run, shuffle, silent, tick } from '../support/stage-fixtures.js';

type Ev = AssemblyEvent;

class FakeRegistry implements AssemblerRegistry {
  processed = new Set<string>();
  inProgress: string[] = [];
  isProcessed(relativeFilepath: string, fileHash: Buffer): boolean {
    return this.processed.has(`${relativeFilepath}#${fileHash.toString('hex')}`);
  }
  markInProgress(file: { filename: string; relativeFilepath: string; nTotalChunks: number }): void {
    this.inProgress.push(file.relativeFilepath);
  }
}

function assembler(extra: Partial<ConstructorParameters<typeof ChunkAssembler>[0]> = {}): ChunkAssembler {
  return new ChunkAssembler({ logger: silent, ...extra });
}

/** Compact form of an event stream: `chunk:<path>:<chunk_i>`, `complete:<path>`, `drop:...`, `settle:<outcome>`. */
function shape(events: Ev[]): string[] {
  return main(events).map((e) => {
    switch (e.kind) {
      case 'chunk':
        return `chunk:${e.file.relativePath}:${e.chunk.chunkI}`;
      case 'complete':
        return `complete:${e.file.relativePath}`;
      case 'drop':
        return `drop:${e.file.relativePath}:${e.outcome}`;
      case 'settle':
        return `settle:${e.outcome}`;
      default:
        return `other:${(e as { kind: string }).kind}`;
    }
  });
}

/** Events that carry data or settle records ('duplicate' notices, if the assembler sends them, are not). */
type Main = Exclude<Ev, { kind: 'duplicate' }>;
function main(events: Ev[]): Main[] {
  return events.filter((e): e is Main => (e.kind as string) !== 'duplicate');
}

const keys = (ps: readonly RecordPosition[]): string[] => ps.map(posKey).sort();

test('in-order file: one chunk event per record, then complete holding every position', async () => {
  const content = await realFile('tensileA1');
  const log = new Log();
  const items = chunksOf(content, { subdir: 'tensile', filename: 'sample_A1.csv', chunkSize: 1001 }).map((c) => log.item(c));
  const registry = new FakeRegistry();
  const events = await run<Ev>(items, assembler({ registry }));
  assert.deepEqual(shape(events), [1, 2, 3, 4, 5, 6].map((i) => `chunk:tensile/sample_A1.csv:${i}`).concat('complete:tensile/sample_A1.csv'));
  const complete = events.at(-1) as Extract<Ev, { kind: 'complete' }>;
  assert.deepEqual(keys(complete.positions), keys(items.map((i) => (i as { record: RecordPosition }).record)));
  // Every chunk event carries the same FileRef, and the file is marked in progress once.
  const refs = new Set(events.map((e) => (e as { file: FileRef }).file));
  assert.equal(refs.size, 1);
  assert.deepEqual(registry.inProgress, ['tensile/sample_A1.csv']);
  const ref = [...refs][0]!;
  assert.equal(ref.nTotalChunks, 6);
  assert.equal(ref.fileMtime, 1_700_000_000);
  // The bytes pass through untouched.
  const rebuilt = Buffer.concat(events.filter((e) => e.kind === 'chunk').map((e) => (e as Extract<Ev, { kind: 'chunk' }>).chunk.data));
  assert.ok(rebuilt.equals(content));
});

test('reverse order: chunk events in arrival order, complete only after the first chunk arrives', async () => {
  const content = await realFile('golden');
  const log = new Log();
  const items = chunksOf(content, { filename: 'top_level.dat', chunkSize: 4096 }).reverse().map((c) => log.item(c));
  const events = await run<Ev>(items, assembler());
  assert.deepEqual(shape(events), ['chunk:top_level.dat:3', 'chunk:top_level.dat:2', 'chunk:top_level.dat:1', 'complete:top_level.dat']);
});

test('interleaved files across partitions: each file completes once, right after its last chunk', async () => {
  const random = prng(7);
  const log = new Log();
  const files = [
    { path: 'tensile/A1.csv', chunks: chunksOf(await realFile('tensileA1'), { subdir: 'tensile', filename: 'A1.csv', chunkSize: 777 }), partition: 0 },
    { path: 'tensile/A2.csv', chunks: chunksOf(await realFile('tensileA2'), { subdir: 'tensile', filename: 'A2.csv', chunkSize: 1024 }), partition: 1 },
    { path: 'thermal/run.csv', chunks: shuffle(chunksOf(await realFile('thermal'), { subdir: 'thermal', filename: 'run.csv', chunkSize: 4097 }), random), partition: 0 },
    { path: 'one-byte.bin', chunks: chunksOf(Buffer.from([0x2a]), { filename: 'one-byte.bin' }), partition: 2 },
  ];
  const tagged = interleave(files.map((f) => f.chunks.map((c) => ({ c, f }))), random);
  const items = tagged.map(({ c, f }) => log.item(c, f.partition));
  const events = await run<Ev>(items, assembler());
  assert.equal(events.filter((e) => e.kind === 'chunk').length, items.length);
  for (const f of files) {
    const mine = events.map((e, i) => ({ e, i })).filter(({ e }) => e.kind !== 'settle' && e.file.relativePath === f.path);
    const completes = mine.filter(({ e }) => e.kind === 'complete');
    assert.equal(completes.length, 1, f.path);
    assert.equal(mine.at(-1)!.e.kind, 'complete', `${f.path}: nothing after complete`);
    assert.equal(mine.length, f.chunks.length + 1);
    const positions = items.filter((it, i) => it.kind === 'chunk' && tagged[i]!.f === f).map((it) => (it as { record: RecordPosition }).record);
    assert.deepEqual(keys((completes[0]!.e as Extract<Ev, { kind: 'complete' }>).positions), keys(positions));
  }
});

test('duplicates are held by their file: no extra event, settled with the complete', async () => {
  const content = await realFile('tensileA2');
  const chunks = chunksOf(content, { subdir: 'd', filename: 'A2.csv', chunkSize: 2000 }); // 3 chunks
  const log = new Log();
  const order = [chunks[0]!, chunks[1]!, chunks[0]!, chunks[1]!, chunks[1]!, chunks[2]!, chunks[2]!];
  const items = order.map((c) => log.item(c));
  const all = await run<Ev>(items, assembler());
  const events = main(all);
  // If the assembler announces duplicates to the sink, each duplicate record is named exactly once.
  const notices = all.filter((e) => (e.kind as string) === 'duplicate').map((e) => (e as unknown as { position: RecordPosition }).position.offset);
  if (notices.length > 0) assert.deepEqual(notices, ['2', '3', '4']);
  // The trailing duplicate of chunk 3 arrives after the file finished: skipped, settled at once.
  assert.deepEqual(shape(events), ['chunk:d/A2.csv:1', 'chunk:d/A2.csv:2', 'chunk:d/A2.csv:3', 'complete:d/A2.csv', 'settle:skipped']);
  const complete = events[3] as Extract<Ev, { kind: 'complete' }>;
  assert.deepEqual(complete.positions.map((p) => p.offset).sort((a, b) => Number(a) - Number(b)), ['0', '1', '2', '3', '4', '5']);
  assert.deepEqual((events[4] as Extract<Ev, { kind: 'settle' }>).positions.map((p) => p.offset), ['6']);
});

test('a superseding generation: drop with the old positions, then the new chunk is kept', async () => {
  const log = new Log();
  const old = chunksOf(await realFile('tensileA1'), { subdir: 's', filename: 'f.csv', chunkSize: 2000 }); // 3 chunks
  const newer = chunksOf(await realFile('thermal'), { subdir: 's', filename: 'f.csv', chunkSize: 2000 }); // 12 chunks
  const items = [log.item(old[0]!), log.item(old[2]!), log.item(old[0]!), ...newer.map((c) => log.item(c))];
  const events = main(await run<Ev>(items, assembler()));
  const drop = events[2] as Extract<Ev, { kind: 'drop' }>;
  assert.equal(drop.kind, 'drop');
  assert.equal(drop.outcome, 'superseded');
  assert.deepEqual(drop.positions.map((p) => p.offset), ['0', '1', '2']);
  assert.equal(drop.file.nTotalChunks, 3);
  const next = events[3] as Extract<Ev, { kind: 'chunk' }>;
  assert.equal(next.kind, 'chunk');
  assert.equal(next.chunk.chunkI, 1);
  assert.equal(next.position.offset, '3', 'the chunk that triggered the switch is kept');
  assert.notEqual(next.file.generation, drop.file.generation);
  assert.ok(next.file.fileHash.equals(newer[0]!.fileHash));
  assert.equal(events.filter((e) => e.kind === 'chunk' && e.file === next.file).length, 12);
  const complete = events.find((e) => e.kind === 'complete') as Extract<Ev, { kind: 'complete' }>;
  assert.equal(complete.file, next.file);
  assert.deepEqual(complete.positions.map((p) => Number(p.offset)), Array.from({ length: 12 }, (_, i) => i + 3));
  assert.equal(events.at(-1), complete);
});

test('a straggler of a superseded generation, after the newer one finished, is stale', async () => {
  const log = new Log();
  const old = chunksOf(await realFile('tensileA1'), { subdir: 's', filename: 'f.csv', chunkSize: 2000 });
  const newer = chunksOf(await realFile('thermal'), { subdir: 's', filename: 'f.csv', chunkSize: 2000 });
  const stage = assembler();
  const events = main(await run<Ev>([log.item(old[0]!), ...newer.map((c) => log.item(c)), log.item(old[1]!)], stage));
  assert.deepEqual(shape(events.slice(-1)), ['settle:skipped']);
  assert.equal(stage.openFiles, 0);
});

test('same chunk count: a newer mtime supersedes, an older (or unknown) one is stale', async () => {
  const a = await realFile('tensileA1');
  const b = await realFile('tensileA2');
  const log = new Log();
  const gen1 = chunksOf(a, { filename: 'f.csv', chunkSize: 3000, mtime: 1_700_000_000 });
  const gen2 = chunksOf(b, { filename: 'f.csv', chunkSize: 3000, mtime: 1_700_000_100 });
  const older = chunksOf(b.subarray(1), { filename: 'f.csv', chunkSize: 3000, mtime: 1_600_000_000 });
  const unknown = chunksOf(b.subarray(2), { filename: 'f.csv', chunkSize: 3000, mtime: null });
  const events = await run<Ev>([log.item(gen1[0]!), log.item(gen2[0]!), log.item(older[0]!), log.item(unknown[1]!), log.item(gen2[1]!)], assembler());
  assert.deepEqual(shape(events), ['chunk:f.csv:1', 'drop:f.csv:superseded', 'chunk:f.csv:1', 'settle:skipped', 'settle:skipped', 'chunk:f.csv:2', 'complete:f.csv']);
});

test('bad SourceItems and unsafe chunks are settled as rejected; the stream goes on', async () => {
  const log = new Log();
  const good = chunksOf(await realFile('tensileA1'), { filename: 'ok.csv', chunkSize: 3000 });
  const rejected: Array<[RecordPosition, string]> = [];
  const traversal = { ...good[0]!, subdirStr: '../..' };
  const outOfRange: DataFileChunk = { ...good[0]!, filename: 'other.csv', chunkI: 5, nTotalChunks: 2 };
  const first = log.item(good[0]!);
  const bad: SourceItem = { kind: 'bad', position: log.position(), error: new ChunkDecodeError('ERR_CHUNK_NOT_ARRAY', 'json'), key: '{"a":1}' };
  const items = [first, bad, log.item(traversal), log.item(outOfRange), log.item(good[1]!)];
  const events = await run<Ev>(items, assembler({ onRejected: (p, e) => rejected.push([p, e.code]) }));
  assert.deepEqual(shape(events), ['chunk:ok.csv:1', 'settle:rejected', 'settle:rejected', 'settle:rejected', 'chunk:ok.csv:2', 'complete:ok.csv']);
  const settles = events.filter((e): e is Extract<Ev, { kind: 'settle' }> => e.kind === 'settle');
  assert.deepEqual(settles.map((s) => [s.positions.map((p) => p.offset), (s.error as DataFileStreamError).code]), [
    [['1'], 'ERR_CHUNK_NOT_ARRAY'],
    [['2'], 'ERR_UNSAFE_PATH'],
    [['3'], 'ERR_CHUNK_INVALID'],
  ]);
  assert.deepEqual(rejected.map(([p, code]) => [p.offset, code]), [['1', 'ERR_CHUNK_NOT_ARRAY'], ['2', 'ERR_UNSAFE_PATH'], ['3', 'ERR_CHUNK_INVALID']]);
});

test('downloadRegex: files outside it are settled as skipped, never assembled', async () => {
  const log = new Log();
  const registry = new FakeRegistry();
  const csv = chunksOf(await realFile('tensileA1'), { subdir: 'keep', filename: 'a.csv', chunkSize: 3000 });
  const other = chunksOf(await realFile('golden'), { subdir: 'keep', filename: 'a.dat', chunkSize: 4096 });
  const items = interleave([csv, other], prng(3)).map((c) => log.item(c));
  const events = await run<Ev>(items, assembler({ registry, downloadRegex: /^keep\/.*\.csv$/ }));
  assert.equal(events.filter((e) => e.kind === 'settle' && e.outcome === 'skipped').length, other.length);
  assert.equal(events.filter((e) => e.kind === 'chunk').length, csv.length);
  assert.deepEqual(registry.inProgress, ['keep/a.csv']);
});

test('reserved top-level directories (LOGS, staging) are rejected with ERR_UNSAFE_PATH', async () => {
  const log = new Log();
  const content = Buffer.from('name;value\n');
  const items = [
    log.item(chunksOf(content, { subdir: 'LOGS', filename: 'processed_from_t_by_g.csv' })[0]!),
    log.item(chunksOf(content, { subdir: 'LOGS/deeper', filename: 'x.csv' })[0]!),
    log.item(chunksOf(content, { subdir: '.datafile-stream-staging', filename: 'abc.part' })[0]!),
    // A top-level *file* named like a reserved directory would land on that directory.
    log.item(chunksOf(content, { filename: 'LOGS' })[0]!),
    log.item(chunksOf(content, { subdir: 'data', filename: 'LOGS' })[0]!), // fine: not top level
  ];
  const events = await run<Ev>(items, assembler({ reservedTopLevel: ['LOGS', '.datafile-stream-staging'] }));
  assert.deepEqual(shape(events), ['settle:rejected', 'settle:rejected', 'settle:rejected', 'settle:rejected', 'chunk:data/LOGS:1', 'complete:data/LOGS']);
  for (const e of events.slice(0, 4)) assert.equal(((e as Extract<Ev, { kind: 'settle' }>).error as DataFileStreamError).code, 'ERR_UNSAFE_PATH');
});

test('registry.isProcessed: every record of an already processed file is settled as already_processed', async () => {
  const log = new Log();
  const content = await realFile('tensileA2');
  const chunks = chunksOf(content, { subdir: 'r', filename: 'A2.csv', append: '_v2', chunkSize: 2500 });
  const registry = new FakeRegistry();
  registry.processed.add(`r/A2_v2.csv#${chunks[0]!.fileHash.toString('hex')}`);
  // Same path, other content: not processed, assembled as usual.
  const other = chunksOf(content.subarray(10), { subdir: 'r', filename: 'A2.csv', append: '_v2', chunkSize: 2500, mtime: 1_800_000_000 });
  const events = await run<Ev>([...chunks, ...other].map((c) => log.item(c)), assembler({ registry }));
  assert.deepEqual(shape(events), ['settle:already_processed', 'settle:already_processed', 'settle:already_processed', 'chunk:r/A2_v2.csv:1', 'chunk:r/A2_v2.csv:2', 'chunk:r/A2_v2.csv:3', 'complete:r/A2_v2.csv']);
  assert.deepEqual(registry.inProgress, ['r/A2_v2.csv']);
});

test('property: every position ends up in exactly one settle/complete/drop list, or in a file still open', async () => {
  const contents = [await realFile('tensileA1'), await realFile('tensileA2'), await realFile('thermal'), await realFile('golden'), Buffer.alloc(0)];
  for (let seed = 1; seed <= 60; seed++) {
    const random = prng(seed);
    const log = new Log();
    const registry = new FakeRegistry();
    const sequences: DataFileChunk[][] = [];
    const paths = ['a/one.csv', 'a/two.csv', 'b/three.dat', 'four.bin', 'skip/me.txt'];
    for (const path of paths) {
      const [subdir, filename] = path.includes('/') ? [path.slice(0, path.lastIndexOf('/')), path.slice(path.lastIndexOf('/') + 1)] : ['', path];
      const gens = 1 + Math.floor(random() * 3);
      for (let g = 0; g < gens; g++) {
        const content = contents[Math.floor(random() * contents.length)]!.subarray(Math.floor(random() * 50));
        const chunkSize = [333, 1000, 4096, 7000][Math.floor(random() * 4)]!;
        let chunks = chunksOf(content, { subdir, filename, chunkSize, mtime: 1_700_000_000 + Math.floor(random() * 3) });
        if (random() < 0.5) chunks = shuffle(chunks, random);
        // Duplicates of random chunks, and sometimes a missing chunk.
        for (let d = Math.floor(random() * 3); d > 0; d--) chunks.splice(Math.floor(random() * chunks.length), 0, chunks[Math.floor(random() * chunks.length)]!);
        if (random() < 0.2 && chunks.length > 1) chunks.pop();
        sequences.push(chunks);
        if (random() < 0.1) registry.processed.add(`${path}#${chunks[0]!.fileHash.toString('hex')}`);
      }
    }
    const order = interleave(sequences, random);
    const items: SourceItem[] = [];
    for (const chunk of order) {
      const partition = Math.floor(random() * 3);
      if (random() < 0.05) items.push({ kind: 'bad', position: log.position(partition), error: new ChunkDecodeError('ERR_CHUNK_MALFORMED', 'garbage'), key: null });
      if (random() < 0.03) items.push(log.item({ ...chunk, subdirStr: '/abs' }, partition));
      items.push(log.item(chunk, partition));
    }
    const stage = assembler({ registry, downloadRegex: /^(?!skip\/)/, limits: { maxChunksPerFile: 30 } });
    const events = main(await run<Ev>(items, stage));

    const seen = new Map<string, number>();
    for (const e of events) {
      if (e.kind === 'chunk') continue;
      for (const p of e.positions) seen.set(posKey(p), (seen.get(posKey(p)) ?? 0) + 1);
    }
    for (const [key, count] of seen) assert.equal(count, 1, `seed ${seed}: ${key} settled ${count} times`);
    // A record not yet settled must belong to a file that is still open; nothing else may be held.
    const heldPaths = new Set<string>();
    for (const item of items) {
      const position = item.kind === 'bad' ? item.position : item.record;
      if (seen.has(posKey(position))) continue;
      assert.equal(item.kind, 'chunk', `seed ${seed}: bad record ${posKey(position)} never settled`);
      const { chunk } = (item as Extract<SourceItem, { kind: 'chunk' }>).record;
      heldPaths.add(chunk.subdirStr === '' ? chunk.filename : `${chunk.subdirStr}/${chunk.filename}`);
    }
    assert.deepEqual([...heldPaths].sort(), stage.openFilePaths().sort(), `seed ${seed}: unsettled records vs open files`);
    // Every chunk event belongs to a generation that later completed, was dropped, or is open.
    const ended = new Set(events.flatMap((e) => (e.kind === 'complete' || e.kind === 'drop' ? [e.file] : [])));
    for (const e of events) {
      if (e.kind === 'chunk' && !ended.has(e.file)) assert.ok(stage.openFilePaths().includes(e.file.relativePath), `seed ${seed}: chunk of a lost generation`);
    }
  }
});

test('destroy(err): error then close, nothing emitted after, later writes refused', async () => {
  const log = new Log();
  const chunks = chunksOf(await realFile('thermal'), { filename: 'run.csv', chunkSize: 5000 });
  const stage = assembler();
  const events = recordEvents(stage);
  stage.write(log.item(chunks[0]!));
  await tick();
  assert.deepEqual(events, ['data']);
  const boom = new Error('boom');
  stage.destroy(boom);
  let writeError: unknown;
  stage.write(log.item(chunks[1]!), (err) => (writeError = err));
  await tick(5);
  assert.deepEqual(events, ['data', 'error', 'close']);
  assert.equal((writeError as NodeJS.ErrnoException | undefined)?.code, 'ERR_STREAM_DESTROYED');
  assert.equal(stage.errored, boom);
});

test('a stream of only bad records ends cleanly', async () => {
  const log = new Log();
  const items = Array.from({ length: 5 }, (): SourceItem => ({ kind: 'bad', position: log.position(), error: new ChunkDecodeError('ERR_CHUNK_TRUNCATED', 't'), key: null }));
  const events = await run<Ev>(Readable.from(items), assembler());
  assert.deepEqual(events.map((e) => (e as Extract<Ev, { kind: 'settle' }>).positions[0]!.offset), ['0', '1', '2', '3', '4']);
});

test('a journaled file the registry lists as processed is dropped at restore instead of being assembled again', async () => {
  const fileHash = Buffer.alloc(64, 7);
  const file = { key: 'r/done.dat', relativePath: 'r/done.dat', subdirStr: 'r', filename: 'done.dat', filenameAppend: '', fileHash, nTotalChunks: 2, fileMtime: null };
  const chunks = [
    { offset: 0, length: 4, chunkI: 1, position: { topic: 't', partition: 0, offset: '3' } },
    { offset: 4, length: 4, chunkI: 2, position: { topic: 't', partition: 0, offset: '4' } },
  ];
  const registry = new FakeRegistry();
  const restoreOf = (): ChunkAssembler => assembler({ registry, restore: [{ staging: 'x', file, chunks }] });
  const fresh = await run<Ev>([], restoreOf());
  assert.deepEqual(fresh.map((e) => e.kind), ['chunk', 'chunk', 'complete'], 'not settled yet: resumed from the journal');

  registry.processed.add(`r/done.dat#${fileHash.toString('hex')}`);
  const settled = await run<Ev>([], restoreOf());
  assert.equal(settled.length, 1);
  const [drop] = settled;
  assert.ok(drop?.kind === 'drop');
  assert.equal(drop.outcome, 'already_processed');
  assert.deepEqual(drop.positions, [], 'its records were settled before the restart');
  assert.equal(drop.file.relativePath, 'r/done.dat');
});
