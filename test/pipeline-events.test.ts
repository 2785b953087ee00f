/**
 * The contract of pipeline-events.ts, end to end without Kafka: every record the source observed
 * reaches the committer exactly once inside some `positions` list, the committed offset never
 * passes an unfinished file, and a restart from the committed offsets loses nothing and
 * processes nothing twice. Stages are the real ones; only the Kafka source and commit are fakes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChunkAssembler } from '../lib/assembler/chunk-assembler.js';
import { sha512 } from '../lib/codec/chunk-hash.js';
import { ChunkDecodeError } from '../lib/errors.js';
import type { Settlement, SourceItem } from '../lib/pipeline-events.js';
import { OffsetCommitter } from '../lib/offsets/offset-committer.js';
import { OffsetTracker, type CommitOffset } from '../lib/offsets/offset-tracker.js';
import { ProcessTransform } from '../lib/processing/process-transform.js';
import { FileRegistry } from '../lib/registry/file-registry.js';
import { DiskSink, STAGING_DIR_NAME } from '../lib/sinks/disk-sink.js';
import { MemoryBuffer } from '../lib/sinks/memory-buffer.js';
import type { DataFileChunk } from '../lib/types.js';
import { chunksOf, interleave, Log, posKey, prng, realFile, shuffle, silent, tempDir } from './support/stage-fixtures.js';

const TOPIC = 'files';
const GROUP = 'unit';

interface RunResult {
  settledCount: Map<string, number>;
  settlements: Settlement[];
  commits: CommitOffset[][];
  processed: string[];
}

/** One consumer run over `log` (a partition -> items map), starting at `from` per partition. */
async function consume(outputDir: string, mode: 'memory' | 'disk', items: SourceItem[], from: Map<number, number>, processed: string[]): Promise<RunResult> {
  const registry = await FileRegistry.open({ dir: outputDir, topic: TOPIC, group: GROUP });
  const tracker = new OffsetTracker();
  const settledCount = new Map<string, number>();
  const settlements: Settlement[] = [];
  const commits: CommitOffset[][] = [];
  const visible = items.filter((it) => {
    const p = it.kind === 'bad' ? it.position : it.record;
    return Number(p.offset) >= (from.get(p.partition) ?? 0);
  });
  // What KafkaSource does: observe each record in the tracker as it is pushed.
  async function* source(): AsyncGenerator<SourceItem> {
    for (const it of visible) {
      const p = it.kind === 'bad' ? it.position : it.record;
      tracker.observe(p.topic, p.partition, p.offset);
      yield it;
    }
  }
  const stagingDir = join(outputDir, STAGING_DIR_NAME);
  try {
    await pipeline(
      Readable.from(source()),
      new ChunkAssembler({ logger: silent, registry, reservedTopLevel: ['LOGS', STAGING_DIR_NAME] }),
      mode === 'memory' ? new MemoryBuffer({ logger: silent, stagingDir, maxBytes: 8000 }) : new DiskSink({ logger: silent, outputDir, stagingDir }),
      new ProcessTransform({
        logger: silent,
        nThreads: 3,
        maxAttempts: 2,
        backoffMs: 1,
        process: async (file) => {
          if (file.filename.startsWith('poison')) throw new Error('cannot parse');
          if (!sha512(await file.read()).equals(file.fileHash)) throw new Error('bytes differ from the verified hash');
          processed.push(file.relativeFilepath);
          return undefined;
        },
      }),
      new OffsetCommitter({
        tracker,
        registry,
        logger: silent,
        intervalMs: 3_600_000,
        commit: async (offsets) => void commits.push(offsets),
        onSettled: (s) => {
          settlements.push(s);
          for (const p of s.positions) settledCount.set(posKey(p), (settledCount.get(posKey(p)) ?? 0) + 1);
        },
      }),
    );
  } finally {
    await registry.close();
  }
  return { settledCount, settlements, commits, processed };
}

function split(path: string): { subdir: string; filename: string } {
  const slash = path.lastIndexOf('/');
  return { subdir: slash < 0 ? '' : path.slice(0, slash), filename: path.slice(slash + 1) };
}

for (const mode of ['memory', 'disk'] as const) {
  test(`${mode} mode: every record settled once, commits stop at the unfinished file, a restart finishes it without processing twice`, async (t) => {
    const outputDir = await tempDir(t);
    const random = prng(mode === 'memory' ? 103 : 202);
    const log = new Log(TOPIC);
    const files: Record<string, DataFileChunk[]> = {
      'tensile/A1.csv': chunksOf(await realFile('tensileA1'), { ...split('tensile/A1.csv'), chunkSize: 1000 }),
      'thermal/dsc.csv': shuffle(chunksOf(await realFile('thermal'), { ...split('thermal/dsc.csv'), chunkSize: 2048 }), random),
      'xrd/scan.csv': chunksOf(await realFile('xrd'), { ...split('xrd/scan.csv'), chunkSize: 4096 }),
      'poison.csv': chunksOf(await realFile('tensileA2'), { ...split('poison.csv'), chunkSize: 3000 }),
      'lies.dat': chunksOf(await realFile('golden'), { ...split('lies.dat'), chunkSize: 4096, fileHash: sha512(Buffer.from('x')) }),
      'empty.txt': chunksOf(Buffer.alloc(0), split('empty.txt')),
    };
    const partitionOf: Record<string, number> = { 'tensile/A1.csv': 0, 'thermal/dsc.csv': 1, 'xrd/scan.csv': 0, 'poison.csv': 1, 'lies.dat': 1, 'empty.txt': 1 };
    // (Re-read tails of failed or mismatched files: test/integration/consumer-pipeline.test.ts.)
    // xrd/scan.csv: the last chunk is held back until the second run (an upload still going on).
    const xrd = files['xrd/scan.csv']!;
    const tail = xrd.pop()!;
    // Duplicates (a producer retry) of the tensile file.
    files['tensile/A1.csv']!.splice(3, 0, files['tensile/A1.csv']![1]!);
    const tagged = interleave(Object.entries(files).map(([path, chunks]) => chunks.map((c) => ({ path, c }))), random);
    const items: SourceItem[] = [];
    for (const { path, c } of tagged) {
      const partition = partitionOf[path]!;
      if (random() < 0.1) items.push({ kind: 'bad', position: log.position(partition), error: new ChunkDecodeError('ERR_CHUNK_MALFORMED', 'garbage'), key: null });
      items.push(log.item(c, partition));
    }
    const processed: string[] = [];
    const first = await consume(outputDir, mode, items, new Map(), processed);

    // Exactly once, except the records of the unfinished file, which are not settled at all.
    const xrdKeys = new Set(items.filter((it) => it.kind === 'chunk' && it.record.chunk.filename === 'scan.csv').map((it) => posKey((it as Extract<SourceItem, { kind: 'chunk' }>).record)));
    for (const it of items) {
      const key = posKey(it.kind === 'bad' ? it.position : it.record);
      assert.equal(first.settledCount.get(key) ?? 0, xrdKeys.has(key) ? 0 : 1, `${mode}: ${key}`);
    }
    assert.deepEqual([...processed].sort(), ['empty.txt', 'tensile/A1.csv', 'thermal/dsc.csv']);
    const byOutcome = (r: RunResult, outcome: string) => r.settlements.filter((s) => s.outcome === outcome).map((s) => s.file?.relativePath).sort();
    assert.deepEqual(byOutcome(first, 'failed'), ['poison.csv']);
    assert.deepEqual(byOutcome(first, 'mismatched_hash'), ['lies.dat']);

    // Partition 0 is committed up to the first record of the unfinished file; partition 1 to its end.
    const committed = new Map<number, number>();
    for (const c of first.commits.flat()) committed.set(c.partition, Math.max(committed.get(c.partition) ?? 0, Number(c.offset)));
    const firstXrdOffset = Math.min(...[...xrdKeys].map((k) => Number(k.split('@')[1])));
    assert.ok(firstXrdOffset > 0, 'the seed puts finished records before the unfinished file');
    assert.equal(committed.get(0) ?? 0, firstXrdOffset, `${mode}: partition 0 stops at the unfinished file`);
    const p1 = items.filter((it) => (it.kind === 'bad' ? it.position : it.record).partition === 1);
    assert.equal(committed.get(1), p1.length, `${mode}: partition 1 is committed to its end`);
    if (mode === 'disk') {
      assert.ok((await readFile(join(outputDir, 'tensile', 'A1.csv'))).equals(await realFile('tensileA1')));
      assert.equal(existsSync(join(outputDir, 'xrd', 'scan.csv')), false);
      assert.equal(existsSync(join(outputDir, 'lies.dat')), false);
    }

    // Restart: read again from the committed offsets; the missing chunk finally arrives, and a
    // producer re-sends the tail of a file that was already processed.
    const resent = files['tensile/A1.csv']!.at(-1)!;
    const more = [...items, log.item(tail, 0), log.item(resent, 0)];
    const second = await consume(outputDir, mode, more, committed, processed);
    assert.deepEqual([...processed].sort(), ['empty.txt', 'tensile/A1.csv', 'thermal/dsc.csv', 'xrd/scan.csv'], `${mode}: nothing processed twice, nothing lost`);
    assert.deepEqual(byOutcome(second, 'processed'), ['xrd/scan.csv']);
    const resentKey = posKey((more.at(-1) as Extract<SourceItem, { kind: 'chunk' }>).record);
    const resentSettle = second.settlements.find((s) => s.positions.some((p) => posKey(p) === resentKey));
    assert.equal(resentSettle?.outcome, 'already_processed', 'the re-sent tail is recognised from the registry');
    for (const [key, count] of second.settledCount) assert.equal(count, 1, `${mode}: second run ${key}`);
    const end = second.commits.flat().filter((c) => c.partition === 0).map((c) => Number(c.offset));
    assert.equal(Math.max(...end), more.filter((it) => (it.kind === 'bad' ? it.position : it.record).partition === 0).length);
    if (mode === 'disk') assert.ok((await readFile(join(outputDir, 'xrd', 'scan.csv'))).equals(await realFile('xrd')));

    const registry = await FileRegistry.open({ dir: outputDir, topic: TOPIC, group: GROUP });
    t.after(() => registry.close());
    assert.equal(registry.isProcessed('xrd/scan.csv', sha512(await realFile('xrd'))), true);
    assert.deepEqual(registry.failedFiles().map((f) => f.relativeFilepath), ['poison.csv']);
    assert.deepEqual(registry.mismatchedHashFiles().map((f) => f.relativeFilepath), ['lies.dat']);
  });
}
