/**
 * A file some of whose records the staging journal released (settled `staged`, so committed)
 * reaches processing marked `journaled`: after it leaves staging, only processing it covers those
 * records, so a stop must not skip it (ProcessTransform). A file that completed before any
 * checkpoint is not marked, and may be left to the next run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { nameOf } from '../../lib/sinks/staging-area.js';
import { ChunkAssembler } from '../../lib/assembler/chunk-assembler.js';
import type { AssemblyEvent, SinkEvent } from '../../lib/pipeline-events.js';
import { DiskSink, STAGING_DIR_NAME } from '../../lib/sinks/disk-sink.js';
import { MemoryBuffer } from '../../lib/sinks/memory-buffer.js';
import { StagingJournal } from '../../lib/sinks/staging-journal.js';
import type { StagingSink } from '../../lib/sinks/staging-sink.js';
import { chunksOf, drive, Log, realFile, run, silent, tempDir, tick } from '../support/stage-fixtures.js';

type Ready = Extract<SinkEvent, { kind: 'file' }>;

const STAGE_AFTER_MS = 100;

for (const mode of ['disk', 'memory'] as const) {
  test(`${mode}: a file completed after its first chunks were journaled is handed on as journaled; a quick one is not`, async (t) => {
    const outputDir = await tempDir(t);
    const stagingDir = join(outputDir, STAGING_DIR_NAME);
    const journal = await StagingJournal.open(stagingDir, 'topic', 'group');
    t.after(() => journal.close());
    const sink: StagingSink =
      mode === 'disk'
        ? new DiskSink({ outputDir, logger: silent, journal, stageAfterMs: STAGE_AFTER_MS })
        : new MemoryBuffer({ logger: silent, stagingDir, journal, stageAfterMs: STAGE_AFTER_MS });
    const log = new Log();
    const assemble = (chunks: ReturnType<typeof chunksOf>): Promise<AssemblyEvent[]> => run<AssemblyEvent>(chunks.map((c) => log.item(c)), new ChunkAssembler({ logger: silent }));
    const slow = await assemble(chunksOf(await realFile('xrd'), { subdir: 's', filename: 'slow.csv', chunkSize: 4096 }));
    const quick = await assemble(chunksOf(await realFile('tensileA1'), { subdir: 'q', filename: 'quick.csv', chunkSize: 4096 }));
    assert.ok(slow.length >= 3 && slow.at(-1)?.kind === 'complete');
    // The slow file's chunks but its last stay in staging long enough for a checkpoint.
    const waitAt = slow.length - 3;
    const out = await drive<SinkEvent>(sink, [...slow, ...quick], async (i) => {
      if (i === waitAt) await tick(STAGE_AFTER_MS * 4);
    });
    const staged = out.filter((e) => e.kind === 'settle' && e.outcome === 'staged').flatMap((e) => (e.kind === 'settle' ? e.positions : []));
    assert.ok(staged.length > 0, 'the slow file had records released by the journal');
    const ready = out.filter((e): e is Ready => e.kind === 'file');
    assert.deepEqual(ready.map((r) => [r.ref.relativePath, r.journaled === true]), [['s/slow.csv', true], ['q/quick.csv', false]]);
    for (const r of ready) r.release();
  });
}

for (const mode of ['disk', 'memory'] as const) {
  test(`${mode}: a journaled file stays in staging and the journal until it settles, and leaves after the registry flush`, async (t) => {
    const outputDir = await tempDir(t);
    const stagingDir = join(outputDir, STAGING_DIR_NAME);
    const journal = await StagingJournal.open(stagingDir, 'topic', 'group');
    t.after(() => journal.close());
    const sink: StagingSink =
      mode === 'disk'
        ? new DiskSink({ outputDir, logger: silent, journal, stageAfterMs: STAGE_AFTER_MS })
        : new MemoryBuffer({ logger: silent, stagingDir, journal, stageAfterMs: STAGE_AFTER_MS });
    const log = new Log();
    const data = await realFile('xrd');
    const events = await run<AssemblyEvent>(chunksOf(data, { subdir: 's', filename: 'slow.csv', chunkSize: 4096 }).map((c) => log.item(c)), new ChunkAssembler({ logger: silent }));
    const out = await drive<SinkEvent>(sink, events, async (i) => {
      if (i === events.length - 3) await tick(STAGE_AFTER_MS * 4);
    });
    const ready = out.find((e): e is Ready => e.kind === 'file');
    assert.ok(ready?.journaled, 'the file had records released by the journal');
    const staged = join(stagingDir, nameOf(ready.ref));
    assert.ok(existsSync(staged), 'its staging file is kept after it completed');
    assert.ok(sink.stagedFrom().size > 0, 'the commit metadata still says where it is staged from');
    if (mode === 'disk') assert.ok((await readFile(join(outputDir, 's/slow.csv'))).equals(data), 'and it is at its final path');
    ready.release();

    let flushes = 0;
    const durable = async (): Promise<void> => void flushes++;
    await sink.settled({ kind: 'settle', positions: [], outcome: 'skipped', file: ready.ref }, durable);
    assert.ok(existsSync(staged) && flushes === 0, 'given up at shutdown (skipped): kept for the next run');
    await sink.settled({ kind: 'settle', positions: ready.positions, outcome: 'processed', file: ready.ref }, durable);
    assert.equal(flushes, 1, 'the registry was flushed first');
    assert.equal(existsSync(staged), false, 'settled: its staging file is gone');
    assert.deepEqual(sink.stagedFrom(), new Map());
    if (mode === 'disk') assert.ok((await readFile(join(outputDir, 's/slow.csv'))).equals(data), 'the placed file stays');
    sink.destroy();
    await journal.close();
    assert.equal(existsSync(journal.path), false, 'the journal lists nothing, so it is removed');
  });
}
