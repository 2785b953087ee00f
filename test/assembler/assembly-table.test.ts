import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  type AssemblyDecision,
  AssemblyTable,
  type FileState,
} from '../../lib/assembler/assembly-table.js';
import { ASSEMBLY_TABLE_DEFAULTS, validateAssemblyTableOptions } from '../../lib/assembler/assembly-table-options.js';
import { AssemblyError, UnsafePathError } from '../../lib/errors.js';
import { fileIdentity, type ChunkRecord, type DataFileChunk, type RecordPosition } from '../../lib/types.js';
import { chunksOf as cutChunks, type ChunkSpec } from '../support/chunks-of.js';
import { prng, seededBytes, shuffle } from '../support/seeded-random.js';

// ---------------------------------------------------------------------------------------------
// fixtures: real chunks of real bytes, hashed the way the wire format says

const sha512 = (data: Uint8Array): Buffer => createHash('sha512').update(data).digest();

const bytes = seededBytes;

/** The shared cutter with this file's defaults: 10-byte chunks under `sub/`. */
function chunksOf(content: Buffer, spec: ChunkSpec = {}): DataFileChunk[] {
  return cutChunks(content, { chunkSize: 10, subdir: 'sub', ...spec });
}

let nextOffset = 0;
function rec(chunk: DataFileChunk, partition = 0, offset = nextOffset++): ChunkRecord {
  return { topic: 't', partition, offset: String(offset), chunk, valueBytes: chunk.data.length + 200 };
}

function expectKind<K extends AssemblyDecision['kind']>(d: AssemblyDecision, kind: K): Extract<AssemblyDecision, { kind: K }> {
  assert.equal(d.kind, kind, d.kind === 'rejected' ? `rejected: ${d.error.code} ${d.error.message}` : `got ${d.kind}`);
  return d as Extract<AssemblyDecision, { kind: K }>;
}

function expectRejected(d: AssemblyDecision, code: string): Extract<AssemblyDecision, { kind: 'rejected' }> {
  assert.equal(d.kind, 'rejected', `expected rejection ${code}, got ${d.kind}`);
  const r = d as Extract<AssemblyDecision, { kind: 'rejected' }>;
  assert.equal(r.error.code, code, r.error.message);
  assert.deepEqual(r.settle, [r.position], 'a rejected record is settled at once');
  return r;
}

/** Feeds chunks in the given order; asserts completion happens exactly at the last distinct one. */
function feed(table: AssemblyTable, chunks: DataFileChunk[]): AssemblyDecision[] {
  return chunks.map((c) => table.add(rec(c)));
}

const posKey = (p: RecordPosition): string => `${p.topic}/${p.partition}@${p.offset}`;

// ---------------------------------------------------------------------------------------------
// orders

test('in order: one new file, accepted chunk by chunk, complete on the last', () => {
  const table = new AssemblyTable();
  const content = bytes(95);
  const chunks = chunksOf(content);
  const decisions = feed(table, chunks);
  decisions.forEach((d, i) => {
    const a = expectKind(d, 'accepted');
    assert.equal(a.isNewFile, i === 0);
    assert.equal(a.complete, i === chunks.length - 1);
    assert.equal(a.key, 'sub/x.dat');
    assert.deepEqual(a.settle, []);
  });
  const file = table.get('sub/x.dat');
  assert.ok(file);
  assert.equal(file.complete, true);
  assert.equal(file.size, 95);
  assert.equal(file.receivedBytes, 95);
  assert.equal(file.receivedChunks, 10);
  assert.equal(file.nTotalChunks, 10);
  assert.equal(file.relativePath, 'sub/x.dat');
  assert.deepEqual(file.subdirParts, ['sub']);
  assert.equal(file.fileHashHex, sha512(content).toString('hex'));
  assert.deepEqual([...file.chunkOffsets()].sort((a, b) => a - b), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.equal(file.hasOffset(40), true);
  assert.equal(file.hasOffset(45), false);
  assert.equal(file.positions.length, 10);
  assert.equal(table.size, 1);
  assert.deepEqual([...table.openFiles()], [file]);
  assert.equal(table.finish('sub/x.dat'), file);
  assert.equal(table.size, 0);
  assert.equal(table.get('sub/x.dat'), undefined);
  assert.equal(table.finish('sub/x.dat'), undefined, 'finishing twice gives nothing back');
});

test('reverse order: completes on chunk 1, size comes from the highest end offset', () => {
  const table = new AssemblyTable();
  const chunks = chunksOf(bytes(95)).reverse();
  const decisions = feed(table, chunks);
  assert.equal(expectKind(decisions[0]!, 'accepted').file.size, 95, 'size is known from the last chunk');
  decisions.forEach((d, i) => assert.equal(expectKind(d, 'accepted').complete, i === chunks.length - 1));
});

test('random permutations with duplicates (seeded): complete exactly once, when the last distinct chunk lands', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const random = prng(seed);
    const table = new AssemblyTable();
    const length = Math.floor(random() * 300);
    const chunks = chunksOf(bytes(length, seed), { chunkSize: 1 + Math.floor(random() * 40) });
    const withDups = [...chunks, ...chunks.filter(() => random() < 0.3)];
    const order = shuffle(withDups, random);
    const seen = new Set<number>();
    let completions = 0;
    for (const chunk of order) {
      const d = table.add(rec(chunk));
      if (seen.has(chunk.chunkOffsetWrite)) {
        expectKind(d, 'duplicate');
        continue;
      }
      seen.add(chunk.chunkOffsetWrite);
      const a = expectKind(d, 'accepted');
      assert.equal(a.complete, seen.size === chunks.length, `seed ${seed}`);
      if (a.complete) completions++;
    }
    assert.equal(completions, 1, `seed ${seed}`);
    const file = table.get('sub/x.dat')!;
    assert.equal(file.size, length);
    assert.equal(file.receivedBytes, length);
    assert.equal(file.positions.length, order.length, 'duplicates are held by the file too');
  }
});

test('duplicates: same chunk again is held, not counted, and not settled early', () => {
  const table = new AssemblyTable();
  const [c1, c2] = chunksOf(bytes(20));
  expectKind(table.add(rec(c1!, 0, 5)), 'accepted');
  const dup = expectKind(table.add(rec(c1!, 1, 9)), 'duplicate');
  assert.deepEqual(dup.settle, []);
  assert.equal(dup.file.receivedChunks, 1);
  assert.equal(dup.file.receivedBytes, 10);
  assert.deepEqual(dup.file.positions.map(posKey), ['t/0@5', 't/1@9']);
  expectKind(table.add(rec(c2!, 0, 6)), 'accepted');
  // a duplicate after completion (before finish) is still a duplicate of the open file
  const late = expectKind(table.add(rec(c2!, 0, 7)), 'duplicate');
  assert.equal(late.file.complete, true);
  assert.deepEqual(table.finish(late.key)!.positions.map(posKey), ['t/0@5', 't/1@9', 't/0@6', 't/0@7']);
});

test('interleaved files: keys are subdir + filename, append only renames the output', () => {
  const table = new AssemblyTable();
  const a = chunksOf(bytes(50, 1), { subdir: 'a', filename: 'x.dat' });
  const b = chunksOf(bytes(30, 2), { subdir: 'b', filename: 'x.dat', append: '_v2' });
  const c = chunksOf(bytes(20, 3), { subdir: '', filename: 'x.dat' });
  const d = chunksOf(bytes(20, 4), { subdir: 'a/x.dat', filename: 'y' });
  const order: DataFileChunk[] = [];
  for (let i = 0; i < 5; i++) for (const list of [a, b, c, d]) if (list[i]) order.push(list[i]!);
  for (const decision of feed(table, order)) expectKind(decision, 'accepted');
  assert.deepEqual([...table.openFiles()].map((f) => f.key).sort(), ['a/x.dat', 'a/x.dat/y', 'b/x.dat', 'x.dat']);
  const fb = table.get('b/x.dat')!;
  assert.equal(fb.relativePath, 'b/x_v2.dat');
  assert.equal(fb.outputFilename, 'x_v2.dat');
  assert.equal(fb.filename, 'x.dat');
  assert.equal(fb.filenameAppend, '_v2');
  assert.equal(table.get('x.dat')!.relativePath, 'x.dat');
  assert.deepEqual(table.get('x.dat')!.subdirParts, []);
  for (const f of table.openFiles()) assert.equal(f.complete, true, f.key);
});

test('empty file: one chunk with no data is a complete file of size 0', () => {
  const table = new AssemblyTable();
  const [chunk] = chunksOf(Buffer.alloc(0));
  assert.equal(chunk!.nTotalChunks, 1);
  const a = expectKind(table.add(rec(chunk!)), 'accepted');
  assert.equal(a.complete, true);
  assert.equal(a.isNewFile, true);
  assert.equal(a.file.size, 0);
  assert.equal(a.file.receivedBytes, 0);
  assert.equal(a.file.fileHashHex, sha512(Buffer.alloc(0)).toString('hex'));
  expectKind(table.add(rec(chunk!)), 'duplicate');
});

test('timestamps: firstSeenAt stays, lastSeenAt follows accepted and duplicate records', () => {
  const table = new AssemblyTable();
  const [c1, c2] = chunksOf(bytes(30));
  table.add(rec(c1!), 1000);
  table.add(rec(c1!), 2000);
  const file = table.get('sub/x.dat')!;
  assert.equal(file.firstSeenAt, 1000);
  assert.equal(file.lastSeenAt, 2000);
  table.add(rec(c2!), 3000);
  assert.equal(file.lastSeenAt, 3000);
  assert.equal(file.firstSeenAt, 1000);
});

test('the table holds no record or chunk buffers: hash and positions are copies', () => {
  const table = new AssemblyTable();
  const [chunk] = chunksOf(bytes(5));
  const record = rec(chunk!, 0, 42);
  const hashBefore = Buffer.from(chunk!.fileHash);
  const a = expectKind(table.add(record), 'accepted');
  chunk!.fileHash.fill(0);
  record.offset = '99';
  assert.deepEqual(a.file.fileHash, hashBefore);
  assert.deepEqual(a.file.positions, [{ topic: 't', partition: 0, offset: '42' }]);
  assert.equal(Object.keys(a.file.positions[0]!).length, 3);
});

// ---------------------------------------------------------------------------------------------
// generations

function twoVersions(aLength: number, bLength: number, aMtime: number | null, bMtime: number | null) {
  return {
    a: chunksOf(bytes(aLength, 10), { mtime: aMtime }),
    b: chunksOf(bytes(bLength, 20), { mtime: bMtime }),
  };
}

test('generation: more chunks replaces the partial file; the triggering chunk is kept', () => {
  const table = new AssemblyTable();
  const { a, b } = twoVersions(30, 40, 200, 100); // B has more chunks, even with an older mtime
  const pa1 = table.add(rec(a[0]!, 0, 1)).position;
  const pa2 = table.add(rec(a[1]!, 0, 2)).position;
  const r = expectKind(table.add(rec(b[2]!, 0, 3)), 'accepted');
  assert.equal(r.isNewFile, true);
  assert.equal(r.replaced?.nTotalChunks, 3);
  assert.deepEqual(r.settle, [pa1, pa2], 'the replaced generation is settled at once');
  assert.equal(r.file.nTotalChunks, 4);
  assert.equal(r.file.receivedChunks, 1, 'the chunk that triggered the switch counts');
  assert.deepEqual(r.file.positions.map(posKey), ['t/0@3']);
  assert.equal(table.size, 1);
  // the rest of B completes the file without re-sending chunk 3
  const rest = [b[0]!, b[1]!, b[3]!].map((c) => expectKind(table.add(rec(c)), 'accepted'));
  assert.equal(rest.at(-1)!.complete, true);
  // a late chunk of A is stale now (fewer chunks) and settled at once
  const stale = expectKind(table.add(rec(a[2]!, 0, 50)), 'stale');
  assert.equal(stale.reason, 'older-generation');
  assert.equal(stale.current, table.get('sub/x.dat'));
  assert.deepEqual(stale.settle.map(posKey), ['t/0@50']);
});

test('generation: same count replaces only when its mtime is newer (both known)', () => {
  const table = new AssemblyTable();
  const { a, b } = twoVersions(30, 25, 100, 200);
  expectKind(table.add(rec(a[0]!)), 'accepted');
  const r = expectKind(table.add(rec(b[1]!)), 'accepted');
  assert.equal(r.replaced?.fileMtime, 100);
  assert.equal(r.file.fileMtime, 200);
  assert.equal(r.file.receivedChunks, 1);
  // and now A (older mtime, same count) is stale
  expectKind(table.add(rec(a[1]!)), 'stale');
});

test('generation: same count with older, equal or unknown mtime is stale', () => {
  const cases: Array<[number | null, number | null]> = [
    [200, 100], // older
    [100, 100], // equal
    [null, 200], // open file's mtime unknown
    [100, null], // new chunk's mtime unknown
    [null, null],
    [100, 0], // 0.0 on the wire means unknown
    [100, -5],
  ];
  for (const [aMtime, bMtime] of cases) {
    const table = new AssemblyTable();
    const { a, b } = twoVersions(30, 30, aMtime, bMtime);
    expectKind(table.add(rec(a[0]!)), 'accepted');
    const s = expectKind(table.add(rec(b[0]!)), 'stale');
    assert.equal(s.reason, 'older-generation', `${aMtime} vs ${bMtime}`);
    assert.deepEqual(s.settle, [s.position]);
    assert.equal(table.get('sub/x.dat')!.fileHashHex, a[0]!.fileHash.toString('hex'));
    assert.equal(table.get('sub/x.dat')!.receivedChunks, 1);
  }
});

test('generation: fewer chunks is stale even with a newer mtime', () => {
  const table = new AssemblyTable();
  const { a, b } = twoVersions(40, 20, 100, 999);
  expectKind(table.add(rec(a[0]!)), 'accepted');
  expectKind(table.add(rec(b[0]!)), 'stale');
  assert.equal(table.get('sub/x.dat')!.nTotalChunks, 4);
});

test('finished generations are remembered: late chunks are stale, not a new file that never completes', () => {
  const table = new AssemblyTable();
  const a = chunksOf(bytes(30, 1));
  feed(table, a);
  table.finish('sub/x.dat');
  const late = expectKind(table.add(rec(a[1]!)), 'stale');
  assert.equal(late.reason, 'already-finished');
  assert.equal(late.current, undefined);
  assert.equal(table.size, 0);
  // a late chunk of a finished file must not replace a newer open generation either
  const b = chunksOf(bytes(20, 2), { mtime: 1 });
  expectKind(table.add(rec(b[0]!)), 'accepted');
  const late2 = expectKind(table.add(rec(a[2]!)), 'stale'); // A has more chunks than B
  assert.equal(late2.reason, 'already-finished');
  assert.equal(late2.current?.nTotalChunks, 2);
});

test('finish({ remember: false }) and abandon() forget the generation; abandon({ remember: true }) keeps it', () => {
  const a = chunksOf(bytes(30, 1));
  for (const [leave, expected] of [
    [(t: AssemblyTable) => t.finish('sub/x.dat', { remember: false }), 'accepted'],
    [(t: AssemblyTable) => t.abandon('sub/x.dat'), 'accepted'],
    [(t: AssemblyTable) => t.abandon('sub/x.dat', { remember: true }), 'stale'],
  ] as const) {
    const table = new AssemblyTable();
    table.add(rec(a[0]!));
    const left = leave(table);
    assert.equal(left?.receivedChunks, 1);
    assert.equal(table.add(rec(a[1]!)).kind, expected);
  }
});

test('rememberFinished is bounded: the oldest finished generation is forgotten first', () => {
  const table = new AssemblyTable({ rememberFinished: 2 });
  const files = [1, 2, 3].map((i) => chunksOf(bytes(5, i), { filename: `f${i}` }));
  for (const f of files) {
    table.add(rec(f[0]!));
    table.finish(`sub/${f[0]!.filename}`);
  }
  assert.equal(table.add(rec(files[0]![0]!)).kind, 'accepted', 'f1 was forgotten');
  assert.equal(table.add(rec(files[1]![0]!)).kind, 'stale');
  assert.equal(table.add(rec(files[2]![0]!)).kind, 'stale');
  const none = new AssemblyTable({ rememberFinished: 0 });
  none.add(rec(files[0]![0]!));
  none.finish('sub/f1');
  assert.equal(none.add(rec(files[0]![0]!)).kind, 'accepted');
});

// ---------------------------------------------------------------------------------------------
// limits

test('limit: chunk bytes (ERR_LIMIT_CHUNK_BYTES), at the limit is fine', () => {
  const table = new AssemblyTable({ maxChunkBytes: 10 });
  const [ok] = chunksOf(bytes(10), { chunkSize: 10, filename: 'ok' });
  expectKind(table.add(rec(ok!)), 'accepted');
  const [big] = chunksOf(bytes(11), { chunkSize: 11 });
  const r = expectRejected(table.add(rec(big!, 3, 77)), 'ERR_LIMIT_CHUNK_BYTES');
  assert.ok(r.error instanceof AssemblyError);
  assert.equal(r.key, 'sub/x.dat');
  assert.equal(table.get('sub/x.dat'), undefined, 'nothing opened');
  const ctx = JSON.parse(JSON.stringify(r.error)) as Record<string, unknown>;
  assert.deepEqual([ctx.topic, ctx.partition, ctx.offset, ctx.path], ['t', 3, '77', 'sub/x.dat']);
});

test('limit: file bytes (ERR_LIMIT_FILE_BYTES) on the end offset of any chunk', () => {
  const table = new AssemblyTable({ maxFileBytes: 25 });
  const chunks = chunksOf(bytes(30));
  expectKind(table.add(rec(chunks[0]!)), 'accepted');
  expectKind(table.add(rec(chunks[1]!)), 'accepted'); // ends at 20
  const r = expectRejected(table.add(rec(chunks[2]!)), 'ERR_LIMIT_FILE_BYTES'); // ends at 30
  assert.equal(table.get('sub/x.dat')!.receivedChunks, 2, 'the open file is unchanged');
  assert.equal(r.file, table.get('sub/x.dat'), 'the open generation is named so the caller can abandon it');
  // a lone chunk claiming a huge offset is refused without opening anything
  const far = { ...chunks[0]!, filename: 'far', chunkOffsetWrite: 2 ** 50 };
  expectRejected(table.add(rec(far)), 'ERR_LIMIT_FILE_BYTES');
  assert.equal(table.get('sub/far'), undefined);
  // exactly at the limit is fine
  const exact = new AssemblyTable({ maxFileBytes: 30 });
  assert.equal(feed(exact, chunks).at(-1)!.kind, 'accepted');
});

test('limit: chunks per file (ERR_LIMIT_CHUNK_COUNT)', () => {
  const table = new AssemblyTable({ maxChunksPerFile: 3 });
  feed(table, chunksOf(bytes(30), { filename: 'three' })).forEach((d) => expectKind(d, 'accepted'));
  for (const c of chunksOf(bytes(31))) expectRejected(table.add(rec(c)), 'ERR_LIMIT_CHUNK_COUNT');
  assert.equal(table.size, 1);
});

test('limit: open files (ERR_LIMIT_OPEN_FILES); existing files and replacements still proceed', () => {
  const table = new AssemblyTable({ maxOpenFiles: 2 });
  const f = [1, 2, 3].map((i) => chunksOf(bytes(20, i), { filename: `f${i}` }));
  expectKind(table.add(rec(f[0]![0]!)), 'accepted');
  expectKind(table.add(rec(f[1]![0]!)), 'accepted');
  const r = expectRejected(table.add(rec(f[2]![0]!)), 'ERR_LIMIT_OPEN_FILES');
  assert.equal(r.key, 'sub/f3');
  expectKind(table.add(rec(f[0]![1]!)), 'accepted');
  const newer = chunksOf(bytes(30, 9), { filename: 'f2' });
  assert.ok(expectKind(table.add(rec(newer[0]!)), 'accepted').replaced, 'a replacement does not need a free slot');
  assert.equal(table.size, 2);
  table.finish('sub/f1');
  expectKind(table.add(rec(f[2]![0]!)), 'accepted');
});

test('options: defaults, validation naming the option, unknown keys refused', () => {
  assert.deepEqual(new AssemblyTable().options, ASSEMBLY_TABLE_DEFAULTS);
  assert.equal(ASSEMBLY_TABLE_DEFAULTS.maxChunkBytes, 16 * 1024 * 1024);
  assert.equal(ASSEMBLY_TABLE_DEFAULTS.maxFileBytes, 2 ** 40);
  assert.equal(ASSEMBLY_TABLE_DEFAULTS.maxChunksPerFile, 10_000_000);
  assert.equal(ASSEMBLY_TABLE_DEFAULTS.maxOpenFiles, 10_000);
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ maxChunkBytes: 0 }, 'maxChunkBytes'],
    [{ maxFileBytes: -1 }, 'maxFileBytes'],
    [{ maxChunksPerFile: 1.5 }, 'maxChunksPerFile'],
    [{ maxOpenFiles: Number.NaN }, 'maxOpenFiles'],
    [{ maxOpenFiles: '10' }, 'maxOpenFiles'],
    [{ rememberFinished: -1 }, 'rememberFinished'],
    [{ maxChunkSize: 10 }, 'maxChunkSize'],
  ];
  for (const [options, option] of bad) {
    assert.throws(() => new AssemblyTable(options as never), (err: unknown) => {
      assert.ok(err instanceof AssemblyError);
      assert.equal(err.code, 'ERR_INVALID_OPTION');
      assert.equal((err as unknown as Record<string, unknown>).option, option);
      return true;
    });
  }
  assert.equal(validateAssemblyTableOptions({ maxOpenFiles: 3 }).maxOpenFiles, 3);
  assert.ok(Object.isFrozen(new AssemblyTable().options));
});

// ---------------------------------------------------------------------------------------------
// bad input

test('unsafe paths are rejected with ERR_UNSAFE_PATH and the record position', () => {
  const table = new AssemblyTable();
  const [base] = chunksOf(bytes(5));
  for (const bad of [
    { subdirStr: '../..' },
    { subdirStr: '/etc' },
    { filename: '..' },
    { filename: 'a\\b' },
    { filename: 'x\0' },
    { filenameAppend: '/../y' },
    { subdirStr: 'C:' },
  ]) {
    const r = expectRejected(table.add(rec({ ...base!, ...bad }, 2, 11)), 'ERR_UNSAFE_PATH');
    assert.ok(r.error instanceof UnsafePathError);
    assert.equal(r.key, undefined);
    const ctx = r.error as unknown as Record<string, unknown>;
    assert.deepEqual([ctx.topic, ctx.partition, ctx.offset], ['t', 2, '11']);
    assert.ok(typeof ctx.field === 'string' && typeof ctx.reason === 'string');
  }
  assert.equal(table.size, 0);
});

test('inconsistent chunks of one generation are rejected (ERR_CHUNK_INVALID), the file is untouched', () => {
  const chunks = chunksOf(bytes(50)); // 5 chunks of 10
  const c = (i: number) => chunks[i - 1]!;
  const cases: Array<[string, DataFileChunk]> = [
    ['different n_total_chunks, same hash', { ...c(2), nTotalChunks: 6 }],
    ['different filename_append, same hash', { ...c(2), filenameAppend: '_v2' }],
    ['same offset, other chunk_i', { ...c(1), chunkI: 2 }],
    ['same offset, other length', { ...c(1), data: c(1).data.subarray(0, 5) }],
    ['same chunk_i, other offset', { ...c(1), chunkOffsetWrite: 100 }],
    ['overlaps the previous chunk', { ...c(2), chunkOffsetWrite: 5 }],
    ['overlaps the next chunk', { ...c(4), chunkOffsetWrite: 45 }],
  ];
  for (const [name, bad] of cases) {
    const table = new AssemblyTable();
    table.add(rec(c(1)));
    table.add(rec(c(3)));
    table.add(rec(c(5)));
    const before = table.get('sub/x.dat')!;
    const positions = before.positions.length;
    const r = expectRejected(table.add(rec(bad)), 'ERR_CHUNK_INVALID');
    assert.equal(r.file, before, name);
    assert.equal(before.receivedChunks, 3, name);
    assert.equal(before.positions.length, positions, `${name}: a rejected record is not held`);
    // the genuine chunks still complete the file
    expectKind(table.add(rec(c(2))), 'accepted');
    assert.equal(expectKind(table.add(rec(c(4))), 'accepted').complete, true, name);
  }
});

test('chunks that touch but do not overlap their neighbours are fine (variable chunk sizes)', () => {
  const content = bytes(30);
  const hash = sha512(content);
  const sizes = [7, 1, 3, 19];
  let at = 0;
  const chunks = sizes.map((size, k) => {
    const data = content.subarray(at, at + size);
    const chunk = { ...chunksOf(content)[0]!, fileHash: hash, chunkOffsetWrite: at, chunkI: k + 1, nTotalChunks: sizes.length, data };
    at += size;
    return chunk;
  });
  const table = new AssemblyTable();
  const decisions = feed(table, [chunks[3]!, chunks[0]!, chunks[2]!, chunks[1]!]);
  assert.equal(expectKind(decisions.at(-1)!, 'accepted').complete, true);
  assert.equal(table.get('sub/x.dat')!.size, 30);
});

test('malformed fields are rejected (ERR_CHUNK_INVALID) before anything is opened', () => {
  const [base] = chunksOf(bytes(30));
  for (const bad of [
    { chunkI: 0 },
    { chunkI: 4, nTotalChunks: 3 },
    { nTotalChunks: 0, chunkI: 0 },
    { chunkI: 1.5 },
    { chunkOffsetWrite: -1 },
    { chunkOffsetWrite: 0.5 },
    { chunkOffsetWrite: Number.MAX_SAFE_INTEGER },
    { fileHash: Buffer.alloc(32) },
    { data: 'text' as unknown as Buffer },
  ]) {
    const table = new AssemblyTable({ maxFileBytes: Number.MAX_SAFE_INTEGER });
    expectRejected(table.add(rec({ ...base!, ...bad })), 'ERR_CHUNK_INVALID');
    assert.equal(table.size, 0, JSON.stringify(bad));
  }
});

test('a position that is not a Kafka position is a caller bug and throws', () => {
  const table = new AssemblyTable();
  const [chunk] = chunksOf(bytes(5));
  for (const bad of [{ offset: '-1' }, { offset: '1.5' }, { offset: '' }, { offset: '01' }, { partition: -1 }, { offset: 5 }]) {
    assert.throws(() => table.add({ ...rec(chunk!), ...bad } as ChunkRecord), { code: 'ERR_INVALID_ARGUMENT' });
  }
  assert.equal(table.size, 0);
});

// ---------------------------------------------------------------------------------------------
// the offset-ownership invariant, over a messy seeded stream

test('every record is settled exactly once: via a decision, a replaced generation, finish or abandon', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const random = prng(seed * 7919);
    const table = new AssemblyTable({ maxChunkBytes: 30, maxOpenFiles: 4 });
    // several paths, some with two or three generations, some with oversized or unsafe chunks
    const all: DataFileChunk[] = [];
    for (let f = 0; f < 6; f++) {
      const generations = 1 + Math.floor(random() * 3);
      for (let g = 0; g < generations; g++) {
        const chunkSize = [5, 10, 40][Math.floor(random() * 3)]!;
        const mtime = random() < 0.2 ? null : 1000 + Math.floor(random() * 3);
        all.push(...chunksOf(bytes(Math.floor(random() * 60), seed * 100 + f * 10 + g), { filename: `f${f}`, chunkSize, mtime }));
      }
    }
    all.push({ ...all[0]!, subdirStr: '../escape' });
    const stream = shuffle([...all, ...all.filter(() => random() < 0.2)], random);
    const added: string[] = [];
    const settled: string[] = [];
    for (const chunk of stream) {
      const record = rec(chunk, Math.floor(random() * 3));
      added.push(posKey(record));
      const d = table.add(record);
      settled.push(...d.settle.map(posKey));
      if (d.kind === 'accepted' && d.complete && random() < 0.7) settled.push(...table.finish(d.key)!.positions.map(posKey));
      else if (d.kind === 'rejected' && d.file && random() < 0.5) settled.push(...table.abandon(d.file.key)!.positions.map(posKey));
    }
    const open = [...table.openFiles()];
    const held = open.flatMap((f) => f.positions.map(posKey));
    assert.equal(new Set([...settled, ...held]).size, settled.length + held.length, `seed ${seed}: nothing settled twice`);
    for (const f of open) settled.push(...table.abandon(f.key)!.positions.map(posKey));
    assert.deepEqual(settled.sort(), added.sort(), `seed ${seed}: every record settled exactly once`);
    assert.equal(table.size, 0);
  }
});

// ---------------------------------------------------------------------------------------------
// reopen: a complete file whose hash failed comes back without its bad chunks

test('reopen puts a finished file back, partial, holding the kept records; a good copy of the missing chunk completes it', () => {
  const table = new AssemblyTable();
  const chunks = chunksOf(bytes(40, 11)); // 4 chunks
  const records = chunks.map((c) => rec(c));
  let last: AssemblyDecision | undefined;
  for (const r of records) last = table.add(r);
  const done = expectKind(last!, 'accepted');
  assert.equal(done.complete, true);
  const finished = table.finish(done.key)!;
  expectKind(table.add(rec(chunks[2]!)), 'stale'); // finished: copies are skipped

  const kept = [0, 1, 3].map((i) => ({ chunkI: chunks[i]!.chunkI, offset: chunks[i]!.chunkOffsetWrite, length: chunks[i]!.data.length }));
  const held = [records[0]!, records[1]!, records[3]!].map(({ topic, partition, offset }) => ({ topic, partition, offset }));
  const reopened = table.reopen(fileIdentity(finished), kept, held)!;
  assert.equal(reopened.complete, false);
  assert.equal(reopened.receivedChunks, 3);
  assert.deepEqual(reopened.positions, held);
  const again = expectKind(table.add(rec(chunks[2]!)), 'accepted');
  assert.equal(again.complete, true, 'the good copy of chunk 3 completes it');
  assert.equal(again.file, reopened);
});

test('reopen refuses while another generation of the path is open', () => {
  const table = new AssemblyTable();
  const old = chunksOf(bytes(20, 12));
  let d: AssemblyDecision | undefined;
  for (const c of old) d = table.add(rec(c));
  const finished = table.finish(expectKind(d!, 'accepted').key)!;
  const newer = chunksOf(bytes(30, 13)); // more chunks: a newer generation
  expectKind(table.add(rec(newer[0]!)), 'accepted');
  assert.equal(table.reopen(fileIdentity(finished), [], []), undefined);
});
