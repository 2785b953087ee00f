/**
 * The staging journal: which chunks of which partial files are durable in disk staging, so their
 * Kafka records need not be read again (SPEC §4 "Offsets"; issue: one file that never completes
 * must not freeze commits).
 *
 * An append-only file of JSON lines beside the staging files, one per consumer group and topic:
 *   {"t":"f","s":<staging name>,"k":<key>,"sd":..,"fn":..,"fa":..,"h":<file hash hex>,"n":<total>,"m":<mtime>}
 *   {"t":"c","s":<staging name>,"o":<chunk offset>,"l":<length>,"i":<chunk_i>,"tp":<topic>,"p":<partition>,"r":<record offset>,"ch":<chunk hash hex, optional>}
 *   {"t":"d","s":<staging name>}   (the file left staging: placed and not journaled, settled, or discarded)
 * A chunk line is written only after the staging file holding it was fsynced, and the journal is
 * fsynced before the chunk's record is settled, so a committed offset is always covered by
 * durable bytes. Opening reads it back (a torn last line from a crash is ignored), keeps the files
 * whose staging file still exists, and rewrites it compactly.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { DataFileStreamError } from '../errors.js';
import { restoreFileIdentity, storeFileIdentity, type FileIdentity } from '../types.js';
import type { JournalChunk, JournalFile } from '../pipeline-events.js';
import { safeRelativePath } from '../paths/safe-path.js';

export type { JournalChunk, JournalFile };

type Line =
  | { t: 'f'; s: string; k: string; sd: string; fn: string; fa: string; h: string; n: number; m: number | null }
  | { t: 'c'; s: string; o: number; l: number; i: number; tp: string; p: number; r: string; ch?: string }
  | { t: 'd'; s: string };

export function journalPath(stagingDir: string, topic: string, group: string): string {
  const id = createHash('sha256').update(topic).update('\0').update(group).digest('hex').slice(0, 16);
  return join(stagingDir, `journal-${id}.jsonl`);
}

export class StagingJournal {
  readonly path: string;
  readonly #stagingDir: string;
  #handle: FileHandle;
  #pending: string[] = [];
  #headers = new Set<string>();
  #restored: JournalFile[];
  #syncing: Promise<void> = Promise.resolve();

  private constructor(path: string, stagingDir: string, handle: FileHandle, restored: JournalFile[]) {
    this.path = path;
    this.#stagingDir = stagingDir;
    this.#handle = handle;
    this.#restored = restored;
    for (const f of restored) this.#headers.add(f.staging);
  }

  static async open(stagingDir: string, topic: string, group: string): Promise<StagingJournal> {
    const path = journalPath(stagingDir, topic, group);
    await mkdir(dirname(path), { recursive: true });
    const restored = existsSync(path) ? await readJournal(path, stagingDir) : [];
    // Compact: rewrite only what is still live, durably, then append from there.
    const tmp = `${path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.writeFile(restored.flatMap(linesOf).map((l) => `${JSON.stringify(l)}\n`).join(''));
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(tmp, path);
    const handle = await open(path, 'a');
    return new StagingJournal(path, stagingDir, handle, restored);
  }

  /** Partial files found at open whose staging file still exists. */
  get restored(): readonly JournalFile[] {
    return this.#restored;
  }

  /** Records durable chunks of `file`, staged as `staging` (call only after the staging file was fsynced). */
  addChunks(staging: string, file: FileIdentity, chunks: JournalChunk[]): void {
    if (!this.#headers.has(staging)) {
      this.#headers.add(staging);
      this.#pending.push(JSON.stringify(fileLine(staging, file)));
    }
    for (const c of chunks) this.#pending.push(JSON.stringify(chunkLine(staging, c)));
  }

  /** The file left staging; its lines are dropped at the next compaction. */
  done(staging: string): void {
    if (!this.#headers.delete(staging)) return;
    this.#pending.push(JSON.stringify({ t: 'd', s: staging } satisfies Line));
  }

  /** Writes and fsyncs what was added. Serialized. */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(async () => {
      if (this.#pending.length === 0) return;
      const text = `${this.#pending.join('\n')}\n`;
      this.#pending = [];
      try {
        await this.#handle.appendFile(text);
        await this.#handle.sync();
      } catch (err) {
        throw new DataFileStreamError('ERR_DISK_WRITE', `cannot write the staging journal ${this.path}: ${(err as Error).message}`, { path: this.path }, err);
      }
    });
    return this.#syncing;
  }

  /**
   * Writes what is pending and closes. A journal with no file left in staging holds nothing a
   * restart needs, so it is removed: a clean run leaves no staging directory behind.
   */
  async close(): Promise<void> {
    await this.sync().catch(() => undefined);
    await this.#handle.close().catch(() => undefined);
    if (this.#headers.size === 0) await unlink(this.path).catch(() => undefined);
  }

  get stagingDir(): string {
    return this.#stagingDir;
  }
}

async function readJournal(path: string, stagingDir: string): Promise<JournalFile[]> {
  const files = new Map<string, JournalFile>();
  const text = await readFile(path, 'utf8');
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      continue; // a line torn by a crash: its chunk was never settled, so it is read again
    }
    if (line.t === 'f') {
      const file = identityOf(line);
      if (file) files.set(line.s, { staging: line.s, file, chunks: [] });
    } else if (line.t === 'c') {
      files.get(line.s)?.chunks.push(chunkOf(line));
    } else if (line.t === 'd') {
      files.delete(line.s);
    }
  }
  const live: JournalFile[] = [];
  for (const file of files.values()) {
    const size = await stat(join(stagingDir, file.staging)).then((s) => s.size, () => -1);
    const end = Math.max(0, ...file.chunks.map((c) => c.offset + c.length));
    if (file.chunks.length > 0 && size >= end) live.push(file);
  }
  return live;
}

function linesOf(file: JournalFile): Line[] {
  return [fileLine(file.staging, file.file), ...file.chunks.map((c) => chunkLine(file.staging, c))];
}

/** The journal's file line keeps its short keys (journals earlier versions wrote read back the same). */
function fileLine(staging: string, file: FileIdentity): Line {
  const id = storeFileIdentity(file);
  return { t: 'f', s: staging, k: id.key, sd: id.subdirStr, fn: id.filename, fa: id.filenameAppend, h: id.fileHashHex, n: id.nTotalChunks, m: id.fileMtime };
}

/** The identity a file line stores; its relative path is derived, as the assembler derived it. */
function identityOf(line: Extract<Line, { t: 'f' }>): FileIdentity | undefined {
  let relativePath: string;
  try {
    relativePath = safeRelativePath(line.sd, line.fn, line.fa).relativePath;
  } catch {
    return undefined; // not a path the assembler would have staged: nothing to resume
  }
  return restoreFileIdentity({ key: line.k, relativePath, subdirStr: line.sd, filename: line.fn, filenameAppend: line.fa, fileHashHex: line.h, nTotalChunks: line.n, fileMtime: line.m });
}

function chunkLine(staging: string, c: JournalChunk): Line {
  return { t: 'c', s: staging, o: c.offset, l: c.length, i: c.chunkI, tp: c.position.topic, p: c.position.partition, r: c.position.offset, ...(c.chunkHash && { ch: c.chunkHash.toString('hex') }) };
}

/** A chunk line read back; `ch` (its chunk hash) is absent in journals of earlier versions and kept only when well formed. */
function chunkOf(line: Extract<Line, { t: 'c' }>): JournalChunk {
  const chunk: JournalChunk = { offset: line.o, length: line.l, chunkI: line.i, position: { topic: line.tp, partition: line.p, offset: line.r } };
  if (typeof line.ch === 'string' && /^[0-9a-f]{128}$/.test(line.ch)) chunk.chunkHash = Buffer.from(line.ch, 'hex');
  return chunk;
}
