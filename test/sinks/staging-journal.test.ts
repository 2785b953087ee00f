import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StagingJournal, type JournalFileHeader } from '../../lib/sinks/staging-journal.js';

async function stagingDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'journal-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, '.datafile-stream-staging');
}

const header = (staging: string): JournalFileHeader => ({ staging, key: 'a/b.dat', subdirStr: 'a', filename: 'b.dat', filenameAppend: '', fileHashHex: '00', nTotalChunks: 2, fileMtime: null });
const chunk = { offset: 0, length: 4, chunkI: 1, position: { topic: 't', partition: 0, offset: '7' } };

test('a journal whose files all left staging is removed at close', async (t) => {
  const dir = await stagingDir(t);
  const journal = await StagingJournal.open(dir, 't', 'g');
  journal.addChunks(header('s1'), [chunk]);
  await journal.sync();
  assert.ok(existsSync(journal.path));
  journal.done('s1');
  await journal.close();
  assert.equal(existsSync(journal.path), false, 'no empty journal left behind');
});

test('a journal opened and closed with nothing in it is removed', async (t) => {
  const dir = await stagingDir(t);
  const journal = await StagingJournal.open(dir, 't', 'g');
  await journal.close();
  assert.equal(existsSync(journal.path), false);
});

test('a journal that still lists a partial file is kept, and restores it at the next open', async (t) => {
  const dir = await stagingDir(t);
  const journal = await StagingJournal.open(dir, 't', 'g');
  await writeFile(join(dir, 's2'), Buffer.alloc(4));
  journal.addChunks(header('s2'), [chunk]);
  await journal.close();
  assert.ok(existsSync(journal.path));
  const again = await StagingJournal.open(dir, 't', 'g');
  t.after(() => again.close());
  assert.deepEqual(again.restored.map((f) => f.staging), ['s2']);
});
