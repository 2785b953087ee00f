// On disk, chunks are verified by their file's hash, and checked one by one only when that
// fails. These runs, through the real broker, hold the two things that must not weaken:
// nothing unverified reaches a final path or the app's code, and a corrupt chunk is identified,
// recorded (the rejected-records file, with its record) and replaced by a good re-delivery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runConsumer } from '../../lib/programs/run-consumer.js';
import { tempDir } from '../support/temp-dir.js';
import {
  assertCommittedToEnd, bytes, chunksOf, createTopic, offsets, produce, recordOf, sha512Hex, silent, treeHashes, uniqueName,
} from './consumer-support.js';

const CHUNK = 1024;

/** Four chunks of `path`, the third with one byte changed (its chunk_hash still the original's). */
function corruptedFile(path: string, seed: number): { data: Buffer; good: ReturnType<typeof chunksOf>; sent: ReturnType<typeof chunksOf> } {
  const data = bytes(4 * CHUNK, seed);
  const good = chunksOf(path, data, CHUNK);
  const broken = Buffer.from(good[2]!.data);
  broken[100] = broken[100]! ^ 0xff;
  return { data, good, sent: good.map((c, i) => (i === 2 ? { ...c, data: broken } : c)) };
}

async function rebuild(topic: string, group: string, out: string, stageAfterMs?: number): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  await runConsumer({
    config: 'local', topic, groupId: group, outputDir: out, mode: 'disk', logger: silent, untilIdle: 1.5, commitIntervalMs: 200,
    ...(stageAfterMs !== undefined && { stageAfterMs }),
    process: async (file) => void seen.set(file.relativeFilepath, sha512Hex(await file.read())),
  });
  return seen;
}

for (const staging of [{ name: 'held in staging', stageAfterMs: undefined }, { name: 'journaled at once', stageAfterMs: 0 }]) {
  test(`a corrupt chunk is recorded, its file never lands, and a good copy completes it (${staging.name})`, async (t) => {
    const dir = await tempDir(t, 'file-hash-first-');
    const out = join(dir, 'out');
    const topic = uniqueName('fhf');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    const file = corruptedFile('runs/f.bin', 7);
    const other = bytes(3 * CHUNK, 9);
    await produce(topic, [...file.sent, ...chunksOf('other.bin', other, CHUNK)].map((c) => recordOf(c)));

    const first = await rebuild(topic, group, out, staging.stageAfterMs);
    assert.deepEqual(first, new Map([['other.bin', sha512Hex(other)]]), 'only the good file reached the app');
    assert.equal((await treeHashes(out)).has('runs/f.bin'), false, 'the file with the corrupt chunk did not land');
    const rejected = (await readFile(join(out, 'LOGS', `rejected_from_${topic}_by_${group}.csv`), 'utf8')).trim().split('\n').slice(1);
    assert.equal(rejected.length, 1, rejected.join('\n'));
    assert.match(rejected[0]!, /;ERR_CHUNK_HASH_MISMATCH;/);
    assert.match(rejected[0]!, new RegExp(`${topic};0;2;`), 'the record of chunk 3 (offset 2) is the one named');

    // The good copy of chunk 3, sent again later; the next run completes the file with it.
    await produce(topic, [recordOf(file.good[2]!)]);
    const second = await rebuild(topic, group, out, staging.stageAfterMs);
    assert.equal(second.get('runs/f.bin'), sha512Hex(file.data), 'the file reached the app once, intact');
    assert.equal((await treeHashes(out)).get('runs/f.bin'), sha512Hex(file.data));
    await assertCommittedToEnd(topic, group);
  });
}

test('a file whose chunks all check out but whose hash is wrong is dropped as mismatched, not reopened', async (t) => {
  const dir = await tempDir(t, 'file-hash-first-');
  const out = join(dir, 'out');
  const topic = uniqueName('fhf');
  const group = uniqueName('g');
  await createTopic(topic, 1);
  // Each chunk is consistent with its own hash; the file hash names other bytes (a file changed mid-upload).
  const chunks = chunksOf('changed.bin', bytes(3 * CHUNK, 4), CHUNK).map((c) => ({ ...c, fileHash: chunksOf('x', bytes(10, 1), CHUNK)[0]!.fileHash }));
  await produce(topic, chunks.map((c) => recordOf(c)));
  const seen = await rebuild(topic, group, out);
  assert.equal(seen.size, 0);
  const registry = await readFile(join(out, 'LOGS', `consuming_from_${topic}_in_progress_by_${group}.csv`), 'utf8');
  assert.match(registry, /changed\.bin;changed\.bin;mismatched_hash;/);
  const { committed, end } = await offsets(topic, group);
  assert.equal(committed.get(0), end.get(0), 'its records are settled (mismatched): nothing waits for them');
});

/** Records of chunks by index (0-based) of `file`; `bad(i)` is chunk i with its corrupt bytes. */
const cases: Array<{ name: string; order: (good: (i: number) => unknown, bad: (i: number) => unknown) => unknown[]; lands: boolean; rejectedAt: number }> = [
  { name: 'a good copy that came before the file completed replaces the corrupt chunk', order: (g, b) => [g(0), b(2), g(2), g(1), g(3)], lands: true, rejectedAt: 1 },
  { name: 'a corrupt copy of a chunk already held is rejected', order: (g, b) => [g(0), g(1), g(2), b(2), g(3)], lands: true, rejectedAt: 3 },
  { name: 'a corrupt chunk of a file that never completes is recorded when the run ends', order: (g, b) => [g(0), b(2)], lands: false, rejectedAt: 1 },
  { name: 'a corrupt copy of a finished file is recorded', order: (g, b) => [g(0), g(1), g(2), g(3), b(2)], lands: true, rejectedAt: 4 },
];

for (const c of cases) {
  test(`${c.name} (one run)`, async (t) => {
    const dir = await tempDir(t, 'file-hash-first-');
    const out = join(dir, 'out');
    const topic = uniqueName('fhf');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    const file = corruptedFile('f.bin', 21);
    const broken = (i: number) => ({ ...file.good[i]!, data: i === 2 ? file.sent[2]!.data : Buffer.alloc(CHUNK) });
    const records = c.order((i) => file.good[i]!, broken) as Array<(typeof file.good)[number]>;
    await produce(topic, records.map((r) => recordOf(r)));
    const seen = await rebuild(topic, group, out);
    assert.equal(seen.get('f.bin'), c.lands ? sha512Hex(file.data) : undefined);
    assert.equal((await treeHashes(out)).get('f.bin'), c.lands ? sha512Hex(file.data) : undefined, 'only the intact file may land');
    const rejected = (await readFile(join(out, 'LOGS', `rejected_from_${topic}_by_${group}.csv`), 'utf8')).trim().split('\n').slice(1);
    assert.equal(rejected.length, 1, rejected.join('\n'));
    assert.match(rejected[0]!, new RegExp(`${topic};0;${c.rejectedAt};ERR_CHUNK_HASH_MISMATCH;`));
    if (c.lands) await assertCommittedToEnd(topic, group);
  });
}
