/**
 * Hostile and broken records (SPEC §4 "Bad input never stops the stream"), one case per class,
 * each with what the consumer must make of it, and the seeded fuzzer that mutates valid records.
 *
 * Expectations:
 *   rejected         a row in LOGS/rejected_from_<topic>_by_<group>.csv at the record's position
 *   mismatched_hash  the file's row in the in-progress registry ends `mismatched_hash`
 *   failed           the file's row ends `failed` (a path the output tree refuses, e.g. a symlink)
 *   harmless         a valid file whose final path holds a planted symlink: the link is replaced,
 *                    what it pointed at is untouched
 */
import { Encoder } from '@msgpack/msgpack';
import { chunkKey, decodeChunk, encodeChunk } from '../../lib/codec/chunk-codec.js';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import { errorCodeOf } from '../../lib/errors.js';
import { safeRelativePath } from '../../lib/paths/safe-path.js';
import { ASSEMBLY_TABLE_DEFAULTS } from '../../lib/assembler/assembly-table-options.js';
import type { DataFileChunk } from '../../lib/types.js';
import type { RawRecord } from './kafka-fixtures.js';
import type { SeededRandom } from './seeded-random.js';
import { chunksOf, recordOf } from './test-files.js';

export type HostileExpectation = 'rejected' | 'mismatched_hash' | 'failed' | 'harmless';

export interface HostileCase {
  label: string;
  expect: HostileExpectation;
  records: RawRecord[];
  /** Relative path of the file (mismatched_hash, failed, harmless). */
  path?: string;
}

function chunk(over: Partial<DataFileChunk>, data = Buffer.from('hostile payload\n')): DataFileChunk {
  const base: DataFileChunk = {
    filename: 'h.dat', fileHash: sha512(data), chunkHash: sha512(data), chunkOffsetWrite: 0, chunkI: 1, nTotalChunks: 1,
    subdirStr: 'hostile', filenameAppend: '', data, fileMtime: 1700000000,
  };
  return { ...base, ...over };
}

function one(label: string, over: Partial<DataFileChunk>, expect: HostileExpectation = 'rejected'): HostileCase {
  return { label, expect, records: [recordOf(chunk(over))] };
}

function raw(label: string, key: string | null, value: Buffer | null): HostileCase {
  return { label, expect: 'rejected', records: [{ key, value }] };
}

/** Every class of SPEC §4. `outsideDir` and `canary` are absolute paths the records aim at. */
export function hostileCases(rng: SeededRandom, outsideDir: string, canary: string): HostileCase[] {
  const enc = new Encoder();
  const big = new Encoder({ useBigInt64: true });
  const valid = encodeChunk(chunk({ filename: 'valid.dat' }));
  const cases: HostileCase[] = [
    // path traversal, both fields, and through filename_append
    one('subdir ../../../..', { subdirStr: '../../../..', filename: 'escape1.dat' }),
    one('subdir a/../../../../outside', { subdirStr: 'a/../../../../outside', filename: 'escape2.dat' }),
    one('subdir ..', { subdirStr: '..', filename: 'escape3.dat' }),
    one('filename ..', { subdirStr: '', filename: '..' }),
    one('filename ../../../outside/x.dat', { subdirStr: '', filename: '../../../outside/x.dat' }),
    one('filename with /', { subdirStr: 'hostile', filename: 'a/b.dat' }),
    one('filename_append traversal', { filename: 'app.dat', filenameAppend: '/../../../../x' }),
    // absolute and Windows paths
    one('absolute subdir into the sandbox', { subdirStr: outsideDir.slice(0), filename: 'abs.dat' }),
    one('absolute subdir outside the sandbox', { subdirStr: canary, filename: 'abs.dat' }),
    one('absolute filename', { subdirStr: '', filename: `${canary}.dat` }),
    one('Windows drive subdir', { subdirStr: 'C:\\Windows\\Temp', filename: 'win.dat' }),
    one('Windows backslash traversal filename', { subdirStr: '', filename: '..\\..\\..\\..\\win.dat' }),
    one('Windows backslash subdir', { subdirStr: 'a\\..\\..\\..\\..', filename: 'win2.dat' }),
    one('UNC subdir', { subdirStr: '\\\\server\\share', filename: 'unc.dat' }),
    // NUL and control characters, overlong names
    one('NUL in filename', { filename: 'nul\u0000.dat' }),
    one('NUL in subdir', { subdirStr: 'hos\u0000tile', filename: 'nul2.dat' }),
    one('newline in filename', { filename: 'line\nbreak.dat' }),
    one('300-byte filename', { filename: `${'x'.repeat(300)}.dat` }),
    // the program's own directories
    one('into LOGS/', { subdirStr: 'LOGS', filename: 'evil.csv' }),
    one('top-level file named LOGS', { subdirStr: '', filename: 'LOGS' }),
    one('into the staging directory', { subdirStr: '.datafile-stream-staging', filename: 'journal.jsonl' }),
    // corrupt chunk, wrong field types and counts
    { label: 'corrupt chunk (data changed, hash kept)', expect: 'rejected', records: [recordOf({ ...chunk({ filename: 'corrupt.dat' }), data: Buffer.from('hostile paylXad\n') })] },
    raw('file_hash 63 bytes', 'hostile_short.dat_chunk_1_of_1', Buffer.from(enc.encode(['short.dat', Buffer.alloc(63), sha512(Buffer.alloc(1)), 0, 1, 1, 'hostile', '', Buffer.alloc(1), 0.0]))),
    raw('filename is an int', null, Buffer.from(enc.encode([7, sha512(Buffer.alloc(1)), sha512(Buffer.alloc(1)), 0, 1, 1, 'hostile', '', Buffer.alloc(1), 0.0]))),
    raw('11 fields', null, Buffer.from(enc.encode(['f.dat', sha512(Buffer.alloc(1)), sha512(Buffer.alloc(1)), 0, 1, 1, 'hostile', '', Buffer.alloc(1), 0.0, 'extra']))),
    raw('bad UTF-8 filename', null, Buffer.concat([Buffer.of(0x9a, 0xa3, 0xff, 0xfe, 0x41), valid.subarray(1 + 1 + 'valid.dat'.length)])),
    raw('negative offset', null, Buffer.from(enc.encode(['neg.dat', sha512(Buffer.alloc(1)), sha512(Buffer.alloc(1)), -5, 1, 1, 'hostile', '', Buffer.alloc(1), 0.0]))),
    // oversized totals and offsets
    one('n_total_chunks 2^40', { filename: 'total.dat', nTotalChunks: 2 ** 40, chunkI: 1 }),
    one('offset beyond the file limit (2^45)', { filename: 'far.dat', chunkOffsetWrite: 2 ** 45 }),
    one('offset beyond 2^53', { filename: 'farther.dat' }),
    one('chunk_i 0', { filename: 'zero.dat', chunkI: 0 }),
    one('chunk_i > n_total_chunks', { filename: 'over.dat', chunkI: 3, nTotalChunks: 2 }),
    // truncated and garbage msgpack, other producers' records, tombstones
    raw('truncated msgpack', chunkKey(chunk({ filename: 'valid.dat' })), valid.subarray(0, Math.floor(valid.length / 2))),
    raw('trailing bytes after the array', chunkKey(chunk({ filename: 'valid.dat' })), Buffer.concat([valid, Buffer.of(0xc0)])),
    raw('garbage bytes', 'garbage', rng.bytes(200)),
    raw('empty value', 'empty', Buffer.alloc(0)),
    raw('JSON record', 'json', Buffer.from(JSON.stringify({ filename: 'x.dat', data: 'aGVsbG8=', chunk_i: 1 }))),
    raw('JSON array record', 'json', Buffer.from(JSON.stringify(['x.dat', 'h', 'h', 0, 1, 1, '', '', 'data']))),
    raw('tombstone', 'hostile_h.dat_chunk_1_of_1', null),
    raw('tombstone without key', null, null),
    // key/value disagreement
    raw('key of another chunk', 'hostile_other.dat_chunk_1_of_1', encodeChunk(chunk({ filename: 'mine.dat' }))),
    raw('key of another chunk index', 'hostile_mine2.dat_chunk_2_of_1', encodeChunk(chunk({ filename: 'mine2.dat' }))),
  ];
  // 2^53 cannot be written through encodeChunk (it refuses unsafe integers): patch the int field.
  const farther = cases.find((c) => c.label === 'offset beyond 2^53')!;
  farther.records = [{ key: 'hostile_farther.dat_chunk_1_of_1', value: Buffer.from(big.encode(['farther.dat', sha512(Buffer.from('x')), sha512(Buffer.from('x')), 2n ** 60n, 1, 1, 'hostile', '', Buffer.from('x'), 0.5])) }];
  // A valid file whose chunks all carry a wrong file hash: complete, never matching.
  const wrong = Buffer.from('the bytes do not match the file hash\n'.repeat(300));
  cases.push({
    label: 'wrong file hash (3 valid chunks)',
    expect: 'mismatched_hash',
    path: 'hostile/wrong-hash.dat',
    records: chunksOf('hostile/wrong-hash.dat', wrong, 4096).map((c) => recordOf({ ...c, fileHash: sha512(Buffer.from('something else')) })),
  });
  // A one-chunk file whose only chunk sits 512 GiB into the file: inside the 1 TiB limit, so
  // it must be judged without reading (or allocating) the hole in front of it.
  const tail = Buffer.from('tail');
  cases.push({
    label: 'one chunk at offset 2^39 (sparse, within limits)',
    expect: 'mismatched_hash',
    path: 'hostile/sparse.dat',
    records: [recordOf(chunk({ filename: 'sparse.dat', chunkOffsetWrite: 2 ** 39, fileHash: sha512(Buffer.from('whatever')) }, tail))],
  });
  return cases;
}

/** Cases needing symlinks planted in the output directory first (see plantSymlinks). */
export function symlinkCases(): HostileCase[] {
  const data = Buffer.from('written through a planted symlink?\n');
  const file = (path: string): RawRecord[] => chunksOf(path, data, 4096).map((c) => recordOf(c));
  return [
    { label: 'directory symlink planted in the output dir', expect: 'failed', path: 'planted/evil.dat', records: file('planted/evil.dat') },
    { label: 'symlink one level down', expect: 'failed', path: 'deep/link/evil.dat', records: file('deep/link/evil.dat') },
    { label: 'file symlink at the final path', expect: 'harmless', path: 'linked.dat', records: file('linked.dat') },
  ];
}

export interface FuzzRecord extends RawRecord {
  mutation: string;
  /** The local decoder's verdict: a code when the record is bad input, undefined when it still decodes. */
  badCode: string | undefined;
}

const MUTATIONS = ['flip', 'flip-head', 'byte-head', 'byte-tail', 'truncate', 'extend', 'splice', 'key'] as const;

/**
 * `count` mutations of valid records of the `victims` (files nobody expects intact): one to four
 * bit flips anywhere or in the first 160 bytes (array, str and bin headers, hashes, integers),
 * random bytes in the head or in the trailing float64 mtime, truncation, extension, insertion,
 * or a changed key.
 */
export function fuzzRecords(rng: SeededRandom, victims: RawRecord[], count: number): FuzzRecord[] {
  const out: FuzzRecord[] = [];
  for (let i = 0; i < count; i++) {
    const original = rng.pick(victims);
    let value = Buffer.from(original.value!);
    let key = original.key;
    const mutation = rng.pick(MUTATIONS);
    const at = (limit: number): number => rng.int(0, Math.max(0, Math.min(limit, value.length) - 1));
    switch (mutation) {
      case 'flip':
        for (let k = rng.int(1, 4); k > 0; k--) value[at(value.length)]! ^= 1 << rng.int(0, 7);
        break;
      case 'flip-head':
        for (let k = rng.int(1, 4); k > 0; k--) value[at(160)]! ^= 1 << rng.int(0, 7);
        break;
      case 'byte-head':
        value[at(160)] = rng.int(0, 255);
        break;
      case 'byte-tail':
        value[value.length - 1 - rng.int(0, 8)] = rng.int(0, 255);
        break;
      case 'truncate':
        value = value.subarray(0, at(value.length));
        break;
      case 'extend':
        value = Buffer.concat([value, rng.bytes(rng.int(1, 16))]);
        break;
      case 'splice': {
        const p = at(value.length);
        value = Buffer.concat([value.subarray(0, p), rng.bytes(rng.int(1, 8)), value.subarray(p)]);
        break;
      }
      case 'key': {
        const k = Buffer.from(key ?? '');
        if (k.length > 0) k[rng.int(0, k.length - 1)] = rng.int(32, 126);
        key = k.toString('utf8');
        break;
      }
    }
    out.push({ key, value, partition: original.partition, mutation, badCode: localVerdict(key, value) });
  }
  return out;
}

/**
 * What the consumer must record as bad input, judged here with the codec, the path rules and
 * the default limits: a code, or undefined for a record that is still a usable chunk.
 */
export function localVerdict(key: string | null, value: Buffer | null): string | undefined {
  try {
    const c = decodeChunk(value);
    if (key !== null && key !== chunkKey(c)) return 'ERR_CHUNK_KEY_MISMATCH';
    safeRelativePath(c.subdirStr, c.filename, c.filenameAppend);
    if (c.nTotalChunks > ASSEMBLY_TABLE_DEFAULTS.maxChunksPerFile) return 'ERR_LIMIT_CHUNK_COUNT';
    if (c.chunkOffsetWrite + c.data.length > ASSEMBLY_TABLE_DEFAULTS.maxFileBytes) return 'ERR_LIMIT_FILE_BYTES';
    if (c.data.length > ASSEMBLY_TABLE_DEFAULTS.maxChunkBytes) return 'ERR_LIMIT_CHUNK_BYTES';
    return undefined;
  } catch (err) {
    return errorCodeOf(err);
  }
}
