// Regression tests, without a broker, for the faults `npm run faults` found (bench/faults/):
// each names the scenario that found it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Producer } from 'kafkajs';
import kafkajs from 'kafkajs';
import { ChunkAssembler } from '../../lib/assembler/chunk-assembler.js';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import type { AssemblyEvent, FileRef, SinkEvent } from '../../lib/pipeline-events.js';
import { retentionGapsOf, unrecoverable, verdictDue } from '../../lib/pipeline/retention-gaps.js';
import { parseStagedFrom, restoredFrom, resumeOffset, stagedMetadata } from '../../lib/pipeline/staged-elsewhere.js';
import { AssemblyError } from '../../lib/errors.js';
import { ChunkProducer } from '../../lib/producer/chunk-producer.js';
import { DirectoryUploader } from '../../lib/producer/upload-directory.js';
import type { InProgressEntry } from '../../lib/registry/file-registry.js';
import { MemoryBuffer } from '../../lib/sinks/memory-buffer.js';
import { StagingArea } from '../../lib/sinks/staging-area.js';
import { StagingJournal } from '../../lib/sinks/staging-journal.js';
import { chunksOf, drive, Log, run, silent, tempDir, tick } from '../support/stage-fixtures.js';
import { memoryLedger } from '../producer/upload-fixtures.js';

const root = new URL('../../', import.meta.url).pathname;

test('scenario 9: a complete file whose chunks leave a hole is a hash mismatch, judged without reading or allocating the hole', async (t) => {
  const stagingDir = join(await tempDir(t), 'staging');
  const data = Buffer.from('tail');
  const [chunk] = chunksOf(data, { filename: 'sparse.dat', subdir: 'h', fileHash: sha512(Buffer.from('anything')) });
  const log = new Log();
  const started = Date.now();
  // One chunk at 512 GiB: memory mode used to allocate the whole file (RangeError, the consumer
  // died); disk mode hashed 512 GiB of zeros.
  const out = await run<SinkEvent>([log.item({ ...chunk!, chunkOffsetWrite: 2 ** 39 })], new ChunkAssembler({ logger: silent }), new MemoryBuffer({ logger: silent, stagingDir }));
  assert.ok(Date.now() - started < 5000);
  assert.equal(out.length, 1);
  const settle = out[0] as Extract<SinkEvent, { kind: 'settle' }>;
  assert.equal(settle.outcome, 'mismatched_hash');
  assert.equal((settle.error as AssemblyError).code, 'ERR_FILE_HASH_MISMATCH');
  assert.equal(settle.file?.relativePath, 'h/sparse.dat');
  assert.deepEqual(settle.positions, [{ topic: 'files', partition: 0, offset: '0' }]);
});

test('scenario 9: chunks that tile their file still complete (no false hole)', async () => {
  const content = Buffer.from('0123456789'.repeat(50));
  const events = await run<AssemblyEvent>(chunksOf(content, { chunkSize: 64 }).reverse().map((c) => new Log().item(c)), new ChunkAssembler({ logger: silent }));
  assert.equal(events.filter((e) => e.kind === 'complete').length, 1);
});

test('scenario 9: memory mode releases duplicates of a chunk held in memory once the file is spilled and journaled, without a second stageAfterMs', async (t) => {
  const stagingDir = join(await tempDir(t), 'staging');
  const journal = await StagingJournal.open(stagingDir, 'files', 'g');
  t.after(() => journal.close());
  // 2 s with the sink's 1 s checkpoint tick: the fix releases by ~3 s, the old behaviour (a
  // second stageAfterMs after the spill) not before ~4 s, so a busy machine has room both ways.
  const stageAfterMs = 2000;
  const buffer = new MemoryBuffer({ logger: silent, stagingDir, journal, stageAfterMs });
  const assembler = new ChunkAssembler({ logger: silent });
  assembler.pipe(buffer);
  const chunks = chunksOf(Buffer.from('x'.repeat(3000)), { chunkSize: 1000, filename: 'partial.dat' });
  const log = new Log();
  const staged: string[] = [];
  let stagedAt = 0;
  const started = Date.now();
  buffer.on('data', (e: SinkEvent) => {
    if (e.kind === 'settle' && e.outcome === 'staged') {
      staged.push(...e.positions.map((p) => p.offset));
      stagedAt ||= Date.now() - started;
    }
  });
  assembler.write(log.item(chunks[0]!)); // offset 0
  assembler.write(log.item(chunks[0]!)); // offset 1: the same chunk again, held in memory
  for (let waited = 0; staged.length < 2 && waited < 8000; waited += 50) await tick(50);
  assert.deepEqual(staged.sort(), ['0', '1'], 'both records released: the chunk and its duplicate');
  assert.ok(stagedAt < 2 * stageAfterMs - 100, `released after ${stagedAt} ms (a spilled file used to wait stageAfterMs again)`);
  assembler.destroy();
  buffer.destroy();
});

test('scenario 10: retention gaps are partitions committed below their log start; the verdict waits for the read', () => {
  const gaps = retentionGapsOf(
    [{ partition: 0, offset: '13' }, { partition: 1, offset: '50' }, { partition: 2, offset: '-1' }],
    [{ partition: 0, low: '16', high: '30' }, { partition: 1, low: '40', high: '60' }, { partition: 2, low: '100', high: '120' }],
  );
  assert.deepEqual(gaps, [{ partition: 0, committed: 13n, logStart: 16n, end: 30n }]);
  assert.equal(verdictDue(gaps, () => undefined), false);
  assert.equal(verdictDue(gaps, () => 29n), false);
  assert.equal(verdictDue(gaps, () => 30n), true);
  assert.equal(verdictDue([{ partition: 0, committed: 1n, logStart: 5n, end: 5n }], () => undefined), true, 'nothing left to read');
  const entry = (path: string, status: string): InProgressEntry => ({ filename: path, relativeFilepath: path, status, nChunks: 3, firstMessage: new Date(0), mostRecentMessage: new Date(0) });
  assert.deepEqual(
    unrecoverable([entry('a', 'in_progress'), entry('b', 'in_progress'), entry('c', 'in_progress')], [entry('a', 'in_progress'), entry('c', 'failed')]).map((e) => e.relativeFilepath),
    ['a'],
    'b finished (no row), c already failed',
  );
});

test('scenario 10: ChunkAssembler.abandonFile drops an open file as failed with the error, and says false for unknown paths', async () => {
  const chunks = chunksOf(Buffer.from('y'.repeat(3000)), { chunkSize: 1000, subdir: 'gone', filename: 'b.dat' });
  const assembler = new ChunkAssembler({ logger: silent });
  const log = new Log();
  const error = new AssemblyError('ERR_FILE_UNRECOVERABLE', 'gone/b.dat: deleted');
  const out = await drive<AssemblyEvent>(assembler, [log.item(chunks[1]!), log.item(chunks[2]!)], (i) => {
    if (i === 1) {
      assert.equal(assembler.nextOffset(0), 2n);
      assert.equal(assembler.abandonFile('nope.dat', error), false);
      assert.equal(assembler.abandonFile('gone/b.dat', error), true);
    }
  });
  const drop = out.find((e) => e.kind === 'drop') as Extract<AssemblyEvent, { kind: 'drop' }>;
  assert.equal(drop.outcome, 'failed');
  assert.equal(drop.error, error);
  assert.deepEqual(drop.positions.map((p) => p.offset), ['0', '1']);
  assert.equal(assembler.openFiles, 0);
});

/** Runs `code` as a module file of its own (imports relative to the repository root); its exit. */
async function exitsQuickly(t: Parameters<typeof tempDir>[0], code: string): Promise<{ status: number | null; stderr: string }> {
  const file = join(await tempDir(t), 'probe.mts');
  await writeFile(file, code.replaceAll("'./lib/", `'${root}lib/`));
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 20_000, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

test('scenario 8: a log file on a full disk neither crashes the program nor keeps it from exiting', async (t) => {
  // /dev/full answers every write with ENOSPC.
  const r = await exitsQuickly(t, `
    import { createLogger } from './lib/log/create-logger.js';
    const logger = createLogger({ name: 't', streamLevel: 'silent', fileLevel: 'info', filePath: '/dev/full' });
    logger.error('first'); logger.error('second');
    setTimeout(() => logger.error('later'), 50);
  `);
  assert.equal(r.status, 0, r.stderr);
});

test('scenario 8: the SHA-512 worker does not keep a process alive when its hashes are never digested', async (t) => {
  const r = await exitsQuickly(t, `
    import { OffThreadSha512 } from './lib/codec/off-thread-sha512.js';
    const hashes = Array.from({ length: 3 }, () => new OffThreadSha512());
    for (const h of hashes) await h.update(Buffer.alloc(65536, 1));
  `);
  assert.equal(r.status, 0, r.stderr);
});

test('scenario 3: upload-directory retries a file whose upload the broker failed, instead of giving it up', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'sub'), { recursive: true });
  await writeFile(join(dir, 'sub', 'a.bin'), Buffer.alloc(5000, 3));
  let sends = 0;
  const failing = {
    send: async () => {
      sends++;
      if (sends === 1) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:19192');
      return [];
    },
  } as unknown as Producer;
  const producer = new ChunkProducer(failing, { topic: 't', compression: kafkajs.CompressionTypes.None, lingerMs: 1 });
  const { ledger, uploaded } = memoryLedger();
  const uploader = new DirectoryUploader({ root: dir, producer, registry: ledger, logger: silent, chunkSize: 4096, uploadExisting: true, watchdogLagTime: 0.05, pollInterval: 20 });
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 10_000);
  await uploader.run(stop.signal, () => uploader.idle(0.3));
  clearTimeout(timer);
  assert.deepEqual(uploaded, ['sub/a.bin']);
  assert.equal(uploader.stats.filesFailed, 0);
  assert.ok(sends >= 2, `sent ${sends} times`);
});

test('scenario 5: commits carry where this member\'s journaled partial files begin; another member reads again from there', async (t) => {
  assert.equal(stagedMetadata(undefined, '10'), null);
  assert.equal(stagedMetadata(10n, '10'), null, 'nothing staged below the committed offset');
  assert.equal(stagedMetadata(3n, '10'), '{"staged_from":"3"}');
  assert.equal(parseStagedFrom('{"staged_from":"3"}'), 3n);
  for (const other of [null, '', 'some other tool', '{"staged_from":3}', '{bad json']) assert.equal(parseStagedFrom(other), undefined);
  assert.equal(resumeOffset('10', '{"staged_from":"3"}', undefined), 3n, 'a member without that staging reads again');
  assert.equal(resumeOffset('10', '{"staged_from":"3"}', 3n), undefined, 'the member that staged it (restarted) does not');
  assert.equal(resumeOffset('10', '{"staged_from":"3"}', 7n), 3n, 'holding other files is not holding that one');
  assert.equal(resumeOffset('10', null, undefined), undefined);
  assert.equal(resumeOffset('-1', '{"staged_from":"3"}', undefined), undefined);

  const dir = await tempDir(t);
  const journal = await StagingJournal.open(dir, 'files', 'g');
  t.after(() => journal.close());
  const area = new StagingArea({ dir, logger: silent, journal, stageAfterMs: 0 });
  const ref: FileRef = { key: 'a/x.dat', relativePath: 'a/x.dat', subdirStr: 'a', filename: 'x.dat', filenameAppend: '', fileHash: sha512(Buffer.from('x')), nTotalChunks: 3, fileMtime: null, generation: 1, firstSeenAt: new Date() };
  await area.write(ref, 1000, Buffer.alloc(1000, 1), 2, { topic: 'files', partition: 1, offset: '7' });
  await area.write(ref, 0, Buffer.alloc(1000, 2), 1, { topic: 'files', partition: 1, offset: '5' });
  assert.deepEqual(area.stagedFrom(), new Map(), 'not durable yet: its records are not released either');
  const released = await area.checkpoint(Date.now() + 1);
  assert.equal(released.length, 2);
  assert.deepEqual(area.stagedFrom(), new Map([[1, 5n]]));
  await area.release(ref)?.discard();
  assert.deepEqual(area.stagedFrom(), new Map(), 'the file left staging');
  assert.deepEqual(restoredFrom([{ staging: 's', file: { key: 'k', relativePath: 'k', subdirStr: '', filename: 'k', filenameAppend: '', fileHash: Buffer.alloc(0), nTotalChunks: 2, fileMtime: null }, chunks: [{ offset: 0, length: 1, chunkI: 1, position: { topic: 'files', partition: 2, offset: '9' } }, { offset: 1, length: 1, chunkI: 2, position: { topic: 'files', partition: 2, offset: '4' } }] }]), new Map([[2, 4n]]));
});
