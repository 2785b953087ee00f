// Every class of bad input of SPEC §4, mixed with good files, through the real broker: nothing
// stops the stream, nothing is written outside the output directory, every good file is intact,
// every bad record is recorded with its reason code, and offsets are committed to the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '@msgpack/msgpack';
import { runConsumer } from '../../lib/programs/run-consumer.js';
import { chunkKey, encodeChunk } from '../../lib/codec/chunk-codec.js';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import type { DataFileChunk } from '../../lib/types.js';
import {
  assertCommittedToEnd, bytes, chunksOf, createTopic, produce, recordOf, sha512Hex, silent, treeHashes, uniqueName, type RawRecord,
} from './consumer-support.js';

const CHUNK = 1024;

function hostile(overrides: Partial<DataFileChunk>, key?: string | null): RawRecord {
  const [chunk] = chunksOf('x/bad.bin', Buffer.from('hostile payload'), CHUNK);
  const c = { ...chunk!, ...overrides };
  if (overrides.data && !overrides.chunkHash) c.chunkHash = sha512(overrides.data);
  return { key: key === undefined ? chunkKey(c) : key, value: encodeChunk(c) };
}

test('bad records of every class are recorded and skipped; good files are intact; nothing escapes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bad-input-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const outside = join(dir, 'outside');
  await mkdir(outside, { recursive: true });
  await mkdir(out, { recursive: true });
  await symlink(outside, join(out, 'planted')); // a symlink planted in the output directory

  const good = new Map<string, Buffer>([
    ['good/one.dat', bytes(3 * CHUNK + 1, 1)],
    ['two.txt', Buffer.from('second good file')],
    ['good/deeper/three.bin', bytes(CHUNK, 3)],
  ]);
  const valid = chunksOf('x/bad.bin', Buffer.from('hostile payload'), CHUNK)[0]!;
  const fields = [valid.filename, valid.fileHash, valid.chunkHash, 0, 1, 1, valid.subdirStr, '', valid.data, 0.0];
  const wrongFileHash = chunksOf('wrong/hash.bin', bytes(2 * CHUNK, 8), CHUNK).map((c) => ({ ...c, fileHash: sha512(Buffer.from('something else')) }));
  const bad: Array<[string, RawRecord]> = [
    ['garbage', { key: 'junk', value: Buffer.from([0xc1, 0x00, 0xff]) }],
    ['JSON from another producer', { key: 'sensor-1', value: Buffer.from('{"temperature": 21.5}') }],
    ['tombstone', { key: 'x_bad.bin_chunk_1_of_1', value: null }],
    ['truncated msgpack', { key: null, value: encodeChunk(valid).subarray(0, 50) }],
    ['wrong field type', { key: null, value: Buffer.from(encode([5, ...fields.slice(1)])) }],
    // Bytes changed after the chunk was hashed: the file's hash fails, then the chunk's own.
    ['chunk hash mismatch', hostile({ data: Buffer.from('hostile paylaod'), chunkHash: sha512(Buffer.from('hostile payload')) })],
    ['dot-dot in subdir', hostile({ subdirStr: '../../escape' })],
    ['absolute subdir', hostile({ subdirStr: '/etc' })],
    ['backslash in filename', hostile({ filename: '..\\..\\evil.bat' })],
    ['NUL in filename', hostile({ filename: 'evil\0.txt' })],
    ['slash in filename', hostile({ filename: '../evil.txt' })],
    ['windows drive', hostile({ subdirStr: 'C:/Windows' })],
    ['total beyond limit', hostile({ nTotalChunks: 2 ** 40, chunkI: 1 })],
    ['offset beyond limit', hostile({ chunkOffsetWrite: 2 ** 50 })],
    ['key disagrees with value', hostile({}, 'other_file.bin_chunk_1_of_1')],
  ];
  const symlinked = chunksOf('planted/through-link.txt', Buffer.from('must not land outside'), CHUNK);
  const topic = uniqueName('bad');
  await createTopic(topic, 2);
  const records: RawRecord[] = [];
  const goodRecords = [...good].flatMap(([p, d]) => chunksOf(p, d, CHUNK).map((c) => recordOf(c)));
  // Interleave good and bad records on both partitions.
  const all = [...goodRecords, ...bad.map(([, r]) => r), ...wrongFileHash.map((c) => recordOf(c)), ...symlinked.map((c) => recordOf(c))];
  all.forEach((r, i) => records.push({ ...r, partition: i % 2 }));
  await produce(topic, records);

  const group = uniqueName('g');
  const seen = new Map<string, string>();
  const summary = await runConsumer({
    config: 'local', topic, groupId: group, outputDir: out, mode: 'disk', logger: silent, untilIdle: 1.5, commitIntervalMs: 200,
    process: async (file) => void seen.set(file.relativeFilepath, sha512Hex(await file.read())),
  });

  const expected = new Map([...good].map(([p, d]) => [p, sha512Hex(d)]));
  assert.deepEqual(seen, expected, 'exactly the good files were processed, intact');
  const tree = await treeHashes(out);
  for (const [path, sha] of expected) assert.equal(tree.get(path), sha, path);
  assert.deepEqual(await readdir(outside), [], 'nothing written through the planted symlink');
  assert.ok(![...tree.keys()].some((p) => p.includes('bad') || p.includes('evil') || p.includes('hash.bin')), `no bad file landed: ${[...tree.keys()]}`);

  const rejected = await readFile(join(out, 'LOGS', `rejected_from_${topic}_by_${group}.csv`), 'utf8');
  const rows = rejected.trim().split('\n').slice(1);
  assert.equal(rows.length, bad.length, `one row per bad record:\n${rejected}`);
  for (const code of ['ERR_CHUNK_MALFORMED', 'ERR_CHUNK_NOT_BUFFER', 'ERR_CHUNK_TRUNCATED', 'ERR_CHUNK_FIELD_TYPE', 'ERR_CHUNK_HASH_MISMATCH', 'ERR_UNSAFE_PATH', 'ERR_LIMIT_CHUNK_COUNT', 'ERR_LIMIT_FILE_BYTES', 'ERR_CHUNK_KEY_MISMATCH']) {
    assert.ok(rows.some((r) => r.includes(`;${code};`)), `${code} recorded`);
  }
  const inProgress = await readFile(join(out, 'LOGS', `consuming_from_${topic}_in_progress_by_${group}.csv`), 'utf8');
  assert.match(inProgress, /hash\.bin;wrong\/hash\.bin;mismatched_hash;/);
  assert.match(inProgress, /through-link\.txt;planted\/through-link\.txt;failed;/);
  assert.equal(summary.recordsRejected, bad.length);
  await assertCommittedToEnd(topic, group);
});
