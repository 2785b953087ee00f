/**
 * The OffsetCommitter's seam for a transactional commit: `commit` may commit less than offered
 * (a held-back partition is offered again next time), and `onProcessed` takes over a processed
 * file's registry row.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import type { FileRef, Settlement } from '../../lib/pipeline-events.js';
import { OffsetCommitter } from '../../lib/offsets/offset-committer.js';
import { OffsetTracker, type CommitOffset } from '../../lib/offsets/offset-tracker.js';
import { silent } from '../support/stage-fixtures.js';

const TOPIC = 'files';
const ref = (path: string): FileRef => ({ key: path, relativePath: path, subdirStr: '', filename: path, filenameAppend: '', fileHash: sha512(Buffer.from(path)), nTotalChunks: 1, fileMtime: null, generation: 1, firstSeenAt: new Date() });
const at = (partition: number, ...offsets: number[]) => offsets.map((o) => ({ topic: TOPIC, partition, offset: String(o) }));
const fmt = (offsets: CommitOffset[]): string => offsets.map((o) => `${o.partition}@${o.offset}`).sort().join(',');

function write(committer: OffsetCommitter, s: Settlement): Promise<void> {
  return new Promise((resolve, reject) => committer.write(s, (err) => (err ? reject(err) : resolve())));
}

test('a commit that holds a partition back gets it offered again; processed rows go to onProcessed', async () => {
  const tracker = new OffsetTracker();
  for (let o = 0; o <= 3; o++) tracker.observe(TOPIC, 0, String(o));
  for (let o = 0; o <= 1; o++) tracker.observe(TOPIC, 1, String(o));
  const offered: string[] = [];
  const handed: string[] = [];
  const rows: string[] = [];
  let holdBack = true;
  const committer = new OffsetCommitter({
    tracker,
    logger: silent,
    intervalMs: 3_600_000,
    registry: {
      markProcessed: (f) => void rows.push(f.relativeFilepath),
      markFailed: () => undefined,
      markMismatchedHash: () => undefined,
      clearInProgress: () => true,
      flush: async () => undefined,
    },
    onProcessed: (s) => void handed.push(s.file!.relativePath),
    commit: async (offsets) => {
      offered.push(fmt(offsets));
      // The first time, partition 0 is committed only up to 2 (a file starting at 2 is not ready).
      if (!holdBack) return undefined;
      holdBack = false;
      return offsets.map((o) => (o.partition === 0 ? { ...o, offset: '2' } : o));
    },
  });
  await write(committer, { kind: 'settle', positions: [...at(0, 0, 1, 2, 3), ...at(1, 0, 1)], outcome: 'processed', file: ref('a.csv') });
  assert.deepEqual(handed, ['a.csv']);
  assert.deepEqual(rows, [], 'the processed row is onProcessed\'s to write');
  await committer.commitNow();
  assert.equal(tracker.committed(TOPIC, 0), '2');
  assert.equal(tracker.committed(TOPIC, 1), '2');
  await committer.commitNow();
  assert.deepEqual(offered, ['0@4,1@2', '0@4'], 'partition 0 is offered again, partition 1 is not');
  assert.equal(tracker.committed(TOPIC, 0), '4');
  committer.destroy();
});
