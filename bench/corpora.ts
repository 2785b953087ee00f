/**
 * The benchmark's corpora: deterministic trees of data files, generated once and cached under
 * bench/corpora/<name>/ (gitignored).
 *
 * In: a CorpusSpec (file count, file size, files per subdirectory). Out: the directory and a
 * manifest (relative path -> size and hex SHA-512) that later runs verify rebuilt trees against.
 * Content is the AES-256-CTR keystream of a key derived from the corpus name and file index:
 * the same bytes on every machine, incompressible (the worst case for LZ4, and what most binary
 * instrument output looks like to a compressor), and generated at memory speed. Corpus T is text
 * instead (`content: 'csv'`): instrument readings as CSV rows (timestamp, channel, four values
 * and a status), which compress as such data does (LZ4 about 3x), from the same keystream.
 *
 * Cache: `.manifest.json` records the spec and a generator version; a directory whose manifest
 * does not match is removed and generated again. A tree is written next to its final name and
 * renamed into place, so an interrupted generation never looks like a cached corpus.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const GENERATOR_VERSION = 1;
const WRITE_BLOCK = 8 * 1024 * 1024;

export interface CorpusSpec {
  /** Short name used in topic names and tables: A, B, C, X. */
  name: string;
  files: number;
  fileBytes: number;
  /** Files per subdirectory; 0 puts every file at the top level. */
  perDir: number;
  description: string;
  /** `csv`: compressible text rows; otherwise incompressible bytes. */
  content?: 'csv';
}

export interface CorpusFile {
  relPath: string;
  size: number;
  sha512: string;
}

export interface Corpus {
  spec: CorpusSpec;
  dir: string;
  files: CorpusFile[];
  totalBytes: number;
}

interface Manifest {
  generator: number;
  spec: CorpusSpec;
  files: CorpusFile[];
}

const MiB = 1024 * 1024;
const KiB = 1024;

/** The corpora of the issue (full) and their small stand-ins (`--quick`). */
export function corpusSpecs(quick: boolean): CorpusSpec[] {
  if (quick) {
    return [
      { name: 'A', files: 2, fileBytes: 8 * MiB, perDir: 0, description: '2 files x 8 MiB (quick stand-in for 2 x 512 MiB)' },
      { name: 'T', files: 2, fileBytes: 4 * MiB, perDir: 0, content: 'csv', description: '2 CSV files x 4 MiB (quick stand-in for 2 x 256 MiB)' },
      { name: 'B', files: 40, fileBytes: 256 * KiB, perDir: 20, description: '40 files x 256 KiB (quick stand-in for 2,000 x 256 KiB)' },
      { name: 'C', files: 200, fileBytes: 4 * KiB, perDir: 100, description: '200 files x 4 KiB (quick stand-in for 20,000 x 4 KiB)' },
      { name: 'X', files: 1, fileBytes: 32 * MiB, perDir: 0, description: '1 file x 32 MiB (quick stand-in for 1 x 2 GiB)' },
    ];
  }
  return [
    { name: 'A', files: 2, fileBytes: 512 * MiB, perDir: 0, description: '2 files x 512 MiB' },
    { name: 'T', files: 2, fileBytes: 256 * MiB, perDir: 0, content: 'csv', description: '2 CSV files x 256 MiB (compressible instrument readings)' },
    { name: 'B', files: 2000, fileBytes: 256 * KiB, perDir: 100, description: '2,000 files x 256 KiB' },
    { name: 'C', files: 20000, fileBytes: 4 * KiB, perDir: 1000, description: '20,000 files x 4 KiB' },
    { name: 'X', files: 1, fileBytes: 2048 * MiB, perDir: 0, description: '1 file x 2 GiB (disk-mode RSS as file size grows)' },
  ];
}

export function relPathOf(spec: CorpusSpec, index: number): string {
  const name = `${spec.name.toLowerCase()}-${String(index).padStart(5, '0')}.dat`;
  if (spec.perDir <= 0) return name;
  return `d${String(Math.floor(index / spec.perDir)).padStart(3, '0')}/${name}`;
}

/** Returns the cached corpus, generating it first when it is missing or stale. */
export async function ensureCorpus(root: string, spec: CorpusSpec, log: (line: string) => void): Promise<Corpus> {
  const dir = join(root, `${spec.name}-${spec.files}x${spec.fileBytes}`);
  const cached = await readManifest(dir);
  if (cached && cached.generator === GENERATOR_VERSION && sameSpec(cached.spec, spec)) {
    // Programs under test write LOGS/ into an upload directory; never let one run see another's.
    await rm(join(dir, 'LOGS'), { recursive: true, force: true });
    return corpusOf(dir, spec, cached.files);
  }
  log(`generating corpus ${spec.name}: ${spec.description} -> ${dir}`);
  const building = `${dir}.partial`;
  await rm(building, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
  const files: CorpusFile[] = [];
  for (let i = 0; i < spec.files; i++) {
    const relPath = relPathOf(spec, i);
    const sha512 = await writeDeterministicFile(join(building, relPath), `${spec.name}/${i}`, spec.fileBytes, spec.content);
    files.push({ relPath, size: spec.fileBytes, sha512 });
  }
  await writeFile(join(building, MANIFEST_NAME), `${JSON.stringify({ generator: GENERATOR_VERSION, spec, files } satisfies Manifest)}\n`);
  await rename(building, dir);
  return corpusOf(dir, spec, files);
}

function corpusOf(dir: string, spec: CorpusSpec, files: CorpusFile[]): Corpus {
  return { spec, dir, files, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
}

/** Beside the files, hidden: both uploaders skip dot-files by default. */
export const MANIFEST_NAME = '.manifest.json';

async function readManifest(dir: string): Promise<Manifest | undefined> {
  const path = join(dir, MANIFEST_NAME);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function sameSpec(a: CorpusSpec, b: CorpusSpec): boolean {
  return a.name === b.name && a.files === b.files && a.fileBytes === b.fileBytes && a.perDir === b.perDir && a.content === b.content;
}

/** Writes `size` bytes for `seed` (keystream, or CSV rows drawn from it) and returns their hex SHA-512. */
async function writeDeterministicFile(path: string, seed: string, size: number, content?: 'csv'): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const key = createHash('sha256').update(`datafile-stream bench ${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(Math.min(WRITE_BLOCK, Math.max(size, 1)));
  const hash = createHash('sha512');
  const handle = await open(path, 'w');
  let row = 0;
  try {
    for (let written = 0; written < size; ) {
      const n = Math.min(zeros.length, size - written);
      const random = cipher.update(zeros.subarray(0, n));
      let block: Buffer = random;
      if (content === 'csv') ({ bytes: block, rows: row } = csvRows(random, row, n));
      hash.update(block);
      await handle.write(block, 0, block.length, written);
      written += n;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

const CHANNELS = ['temp', 'pressure', 'flow', 'strain', 'volt', 'current', 'humidity', 'position'];
const STATUS = ['OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'WARN', 'DRIFT'];

/**
 * `n` bytes of CSV readings, one row per 8 bytes of `random` (taken in turn), numbered from
 * `firstRow`: `time,channel,reading,low,high,sigma,status` with values of limited precision, as
 * an instrument logs them. The last row is cut at `n` bytes; `rows`: the next row's number.
 */
export function csvRows(random: Buffer, firstRow: number, n: number): { bytes: Buffer; rows: number } {
  const rows: string[] = [];
  let length = 0;
  for (let i = 0; length < n; i++) {
    const at = (i * 8) % Math.max(8, random.length - 8);
    const r = random.readUInt32LE(at);
    const s = random.readUInt32LE(at + 4);
    const t = (firstRow + i) * 0.001;
    const value = 20 + (r % 10000) / 1000;
    const line = `${t.toFixed(3)},${CHANNELS[r & 7]},${value.toFixed(4)},${(value - 0.5).toFixed(2)},${(value + 0.5).toFixed(2)},${((s % 1000) / 10000).toFixed(4)},${STATUS[s & 7]}\n`;
    rows.push(line);
    length += line.length;
  }
  return { bytes: Buffer.from(rows.join(''), 'latin1').subarray(0, n), rows: firstRow + rows.length };
}
