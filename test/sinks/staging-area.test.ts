/**
 * StagingArea on its own: writes, checkpoints that journal chunks staged long enough and release
 * their records, duplicates waiting for durability, files being committed left alone, the
 * per-partition `stagedFrom`, restore after a restart, and `discard`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { nameOf, StagingArea } from '../../lib/sinks/staging-area.js';
import { StagingJournal } from '../../lib/sinks/staging-journal.js';
import type { FileRef } from '../../lib/pipeline-events.js';
import { silent as silentLogger } from '../support/silent-logger.js';
import { tempDir } from '../support/temp-dir.js';

const at = (offset: string, partition = 0) => ({ topic: 't', partition, offset });

function ref(name: string, content: Buffer): FileRef {
  return {
    key: `d/${name}`, relativePath: `d/${name}`, subdirStr: 'd', filename: name, filenameAppend: '',
    fileHash: createHash('sha512').update(content).digest(), nTotalChunks: 2, fileMtime: null, generation: 1, firstSeenAt: new Date(),
  };
}

async function area(t: { after: (fn: () => Promise<void>) => void }, stageAfterMs = 1000): Promise<{ area: StagingArea; journal: StagingJournal; dir: string }> {
  const dir = join(await tempDir(t, 'staging-area-'), 'staging');
  const journal = await StagingJournal.open(dir, 't', 'g');
  t.after(() => journal.close());
  return { area: new StagingArea({ dir, logger: silentLogger, journal, stageAfterMs }), journal, dir };
}

test('without a journal nothing is ever released, and the file is kept only until release', async (t) => {
  const dir = join(await tempDir(t), 'staging');
  const a = new StagingArea({ dir, logger: silentLogger });
  const f = ref('a.dat', Buffer.from('abcd'));
  await a.write(f, 0, Buffer.from('ab'), 1, at('0'));
  assert.deepEqual(await a.checkpoint(Date.now() + 60_000), []);
  assert.deepEqual(a.noteDuplicate(f, 0, at('1')), [], 'no journal: the file holds its duplicates');
  assert.equal(a.released(f), false);
  assert.ok(a.has(f));
  await a.discard(f);
  assert.equal(a.has(f), false);
  assert.equal(existsSync(join(dir, nameOf(f))), false);
});

test('a checkpoint releases the records of chunks staged for stageAfterMs, once, after journaling them', async (t) => {
  const { area: a, journal } = await area(t);
  const f = ref('b.dat', Buffer.from('abcd'));
  const started = Date.now();
  await a.write(f, 2, Buffer.from('cd'), 2, at('8'));
  await a.write(f, 0, Buffer.from('ab'), 1, at('5'));
  assert.deepEqual(await a.checkpoint(started), [], 'not staged long enough');
  assert.deepEqual(a.stagedFrom(), new Map());
  const released = await a.checkpoint(started + 2000);
  assert.deepEqual(released, [at('8'), at('5')]);
  assert.deepEqual(await a.checkpoint(started + 4000), [], 'nothing new since');
  assert.deepEqual(a.stagedFrom(), new Map([[0, 5n]]), 'the lowest released record of the partition');
  assert.ok(a.released(f));
  assert.equal((await readFile(join(a.dir, nameOf(f)))).toString(), 'abcd', 'the bytes are in the staging file');
  const lines = (await readFile(journal.path, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 3, 'a file line and two chunk lines were journaled');
});

test('a duplicate waits for its chunk to be durable, then is released with the checkpoint or at once', async (t) => {
  const { area: a } = await area(t);
  const f = ref('c.dat', Buffer.from('abcd'));
  const started = Date.now();
  await a.write(f, 0, Buffer.from('ab'), 1, at('1'));
  assert.deepEqual(a.noteDuplicate(f, 0, at('2')), [], 'its chunk is not durable yet');
  assert.deepEqual(await a.checkpoint(started + 2000), [at('1'), at('2')]);
  assert.deepEqual(a.noteDuplicate(f, 0, at('3')), [at('3')], 'durable now: released at once');
});

test('a file being committed is left alone by checkpoints, and discard removes it and its journal lines', async (t) => {
  const { area: a, journal, dir } = await area(t, 0);
  const f = ref('d.dat', Buffer.from('abcd'));
  await a.write(f, 0, Buffer.from('ab'), 1, at('1', 3));
  a.beginCommit(f);
  assert.deepEqual(await a.checkpoint(Date.now() + 1), []);
  await a.discard(f);
  assert.equal(existsSync(join(dir, nameOf(f))), false);
  await journal.close();
  assert.equal(existsSync(journal.path), false, 'nothing left for a restart');
});

test('after a restart, restored chunks count as durable and staged; discard also removes a staging file an earlier run left', async (t) => {
  const { area: first, journal } = await area(t, 0);
  const f = ref('e.dat', Buffer.from('abcd'));
  await first.write(f, 0, Buffer.from('ab'), 1, at('4', 1));
  assert.deepEqual(await first.checkpoint(Date.now() + 1), [at('4', 1)]);
  await first.closeAll();
  await journal.close();

  const again = await StagingJournal.open(first.dir, 't', 'g');
  t.after(() => again.close());
  assert.deepEqual(again.restored.map((r) => [r.staging, r.file.relativePath]), [[nameOf(f), 'd/e.dat']]);
  const second = new StagingArea({ dir: first.dir, logger: silentLogger, journal: again, stageAfterMs: 0 });
  const c = again.restored[0]!.chunks[0]!;
  second.noteRestored(f, c.offset, c.length, c.position);
  assert.deepEqual(second.stagedFrom(), new Map([[1, 4n]]));
  assert.ok(second.released(f));
  assert.deepEqual(second.noteDuplicate(f, 0, at('9', 1)), [at('9', 1)], 'a restored chunk is durable');

  const leftover = ref('left.dat', Buffer.from('x'));
  await mkdir(first.dir, { recursive: true });
  await writeFile(join(first.dir, nameOf(leftover)), 'x');
  await second.discard(leftover);
  assert.equal(existsSync(join(first.dir, nameOf(leftover))), false);
});
