// The app's stages and the gate after them, without Kafka: what comes out, in which order, and
// what is settled for the files a stage skips, fails, drops or holds too long.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino from 'pino';
import { DownloadDataFile } from '../../lib/download-data-file.js';
import type { FileRef, ReadyFile, SinkEvent, Settlement } from '../../lib/pipeline-events.js';
import { FileStageGate, FileStageTap, userStageStreams, type UserStage } from '../../lib/pipeline/user-stages.js';
import { silent } from '../support/silent-logger.js';

function ready(name: string, offset: number): ReadyFile & { released: () => boolean } {
  const ref: FileRef = { key: name, relativePath: name, subdirStr: '', filename: name, filenameAppend: '', fileHash: Buffer.alloc(64), nTotalChunks: 1, fileMtime: null, generation: 1, firstSeenAt: new Date() };
  let released = false;
  return {
    kind: 'file', ref, file: DownloadDataFile.fromRef(ref, { size: 1, data: Buffer.from('x') }),
    positions: [{ topic: 't', partition: 0, offset: String(offset) }], release: () => (released = true), released: () => released,
  };
}

async function run(stages: UserStage[], items: SinkEvent[], logger = silent): Promise<SinkEvent[]> {
  const gate = new FileStageGate({ logger, unsettledAfterMs: 60_000 });
  const out: SinkEvent[] = [];
  await pipeline(Readable.from(items), new FileStageTap(gate), ...userStageStreams(stages), gate, new Writable({ objectMode: true, write: (x, _e, cb) => (out.push(x), cb()) }));
  return out;
}

const describe = (e: SinkEvent): string => (e.kind === 'file' ? `file ${e.ref.relativePath}` : `${e.outcome} ${e.file?.relativePath ?? ''}@${e.positions.map((p) => p.offset).join(',')}`);

test('a function stage: returned files pass, nothing returned is skipped, a throw is failed; each settles with its positions', async () => {
  const files = ['a.csv', 'b.bin', 'c.csv', 'd.bad'].map((n, i) => ready(n, i));
  const out = await run([(f: ReadyFile) => {
    if (f.ref.relativePath.endsWith('.bad')) throw new Error('cannot read it');
    return f.ref.relativePath.endsWith('.csv') ? f : undefined;
  }], files);
  assert.deepEqual(out.map(describe).sort(), ['failed d.bad@3', 'file a.csv', 'file c.csv', 'skipped b.bin@1']);
  assert.ok(files[1]!.released() && files[3]!.released(), 'a skipped or failed file gives its memory back');
  assert.ok(!files[0]!.released(), 'a passed file is released by processing, not here');
});

test('settlements from the sink go around the stages untouched', async () => {
  const settle: Settlement = { kind: 'settle', positions: [{ topic: 't', partition: 0, offset: '9' }], outcome: 'rejected' };
  let seen = 0;
  const out = await run([(f: ReadyFile) => (seen++, f)], [settle, ready('a', 1)]);
  assert.equal(seen, 1, 'the stage saw only the file');
  assert.deepEqual(out.map(describe).sort(), ['file a', 'rejected @9']);
});

test('an async generator that drops files: the gate settles each dropped one as skipped, by order and at the end', async () => {
  const files = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'].map((n, i) => ready(n, i));
  const everyThird: UserStage = async function* (source: AsyncIterable<ReadyFile>) {
    let i = 0;
    for await (const f of source) if (i++ % 3 !== 0) yield f;
  };
  const out = await run([everyThird], files);
  assert.deepEqual(out.map(describe), ['skipped f0@0', 'file f1', 'file f2', 'skipped f3@3', 'file f4', 'file f5']);
});

test('a file held longer than unsettledAfterMs is logged once, by name', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _e, cb) => (lines.push(JSON.parse(String(chunk))), cb()) }));
  const gate = new FileStageGate({ logger, unsettledAfterMs: 40 });
  const tap = new FileStageTap(gate);
  const held = ready('slow/held.dat', 1);
  tap.write(held);
  await new Promise((resolve) => setTimeout(resolve, 250));
  const about = lines.filter((l) => l.file === 'slow/held.dat');
  assert.equal(about.length, 1, JSON.stringify(lines));
  assert.match(String(about[0]!.msg), /slow\/held\.dat has not left the app's stages after/);
  gate.destroy();
  tap.destroy();
});
