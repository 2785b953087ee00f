/**
 * Integration: `datafile-stream upload-directory` against the real broker. A tree with nested and
 * unicode names, an empty file, an exact multiple of the chunk size and one byte over is uploaded
 * with --upload_existing --until_idle; the records rebuild the tree byte for byte (rebuilt here
 * from decoded chunks, not by the download side), each file sits on one partition and the
 * LOGS/ registry lists every file. A restart sends nothing again; a changed file alone is re-sent.
 * Then watching: files present at start are left alone and a file created while it runs is sent
 * after the watchdog lag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { chunkKey } from '../../lib/codec/chunk-codec.js';
import {
  assertExit,
  assertOnePartitionPerFile,
  assertSameTree,
  countRecords,
  logLines,
  readTopic,
  readTree,
  rebuildFiles,
  relPathOf,
  runCli,
  startCli,
  uniqueTopic,
} from './upload-support.js';
import { tempDir } from '../support/temp-dir.js';

const CHUNK = 4096;
const sha512 = (data: Uint8Array): Buffer => createHash('sha512').update(data).digest();

async function put(root: string, rel: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), data);
}

function uploadedRows(text: string): Array<Record<string, string>> {
  return parse(text, { delimiter: ';', columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
}

test('upload-directory --upload_existing: the tree on the topic, restart sends nothing, a changed file alone is re-sent', async (t) => {
  const root = await tempDir(t);
  const tree: Array<[string, Buffer]> = [
    ['top-over.bin', randomBytes(3 * CHUNK + 1)],
    ['exact.bin', randomBytes(4 * CHUNK)],
    ['empty.dat', Buffer.alloc(0)],
    ['one-byte', Buffer.from('x')],
    ['a/b/c/deep.bin', randomBytes(10_000)],
    ['a/b/over.bin', randomBytes(CHUNK + 1)],
    ['a/Ωmega.dat', randomBytes(CHUNK - 1)],
    ['ünïcødé dir/日本語 ファイル.txt', Buffer.from('こんにちは, wörld\n'.repeat(700))],
    ['with space/file with spaces.csv', Buffer.from('a;b\n1;2\n')],
  ];
  for (const [rel, data] of tree) await put(root, rel, data);
  const expected = await readTree(root);
  assert.equal(expected.size, tree.length);
  const topic = uniqueTopic(t);
  const args = ['upload-directory', root, '--topic_name', topic, '--chunk_size', String(CHUNK), '--upload_existing', '--until_idle', '2'];

  // First run: everything is sent.
  const first = await runCli(args);
  assertExit(first, 0);
  const { records } = await readTopic(topic);
  for (const r of records) assert.equal(r.key, chunkKey(r.chunk));
  const expectedChunks = tree.reduce((n, [, data]) => n + Math.max(1, Math.ceil(data.length / CHUNK)), 0);
  assert.equal(records.length, expectedChunks, 'one record per chunk, no file twice');
  assertOnePartitionPerFile(records);
  assertSameTree(rebuildFiles(records), expected);
  assert.ok(!records.some((r) => relPathOf(r.chunk).startsWith('LOGS/')), 'the registry and log are not uploaded');
  const empty = records.find((r) => r.chunk.filename === 'empty.dat')!;
  assert.equal(empty.chunk.nTotalChunks, 1);
  assert.equal(empty.chunk.data.length, 0);
  assert.equal(empty.key, '_empty.dat_chunk_1_of_1');
  const deep = records.find((r) => r.chunk.filename === 'deep.bin')!;
  assert.equal(deep.chunk.subdirStr, 'a/b/c');
  assert.match(deep.key, /^a_b_c_deep\.bin_chunk_\d_of_3$/);

  const uploadedCsv = join(root, 'LOGS', `uploaded_to_${topic}.csv`);
  const rows = uploadedRows(await readFile(uploadedCsv, 'utf8'));
  assert.deepEqual(rows.map((r) => r.rel_filepath).sort(), [...expected.keys()].sort());
  for (const row of rows) assert.equal(row.file_hash, sha512(expected.get(row.rel_filepath!)!).toString('hex'));
  const inProgress = uploadedRows(await readFile(join(root, 'LOGS', `upload_to_${topic}_in_progress.csv`), 'utf8'));
  assert.deepEqual(inProgress, [], 'nothing left in progress');

  // Restart with the same flags: the registry says everything is there; nothing is produced.
  const before = await countRecords(topic);
  assertExit(await runCli(args), 0);
  assert.equal(await countRecords(topic), before, 'a restart re-sends nothing');

  // Change one file and restart: only that file goes out again.
  const changed = randomBytes(2 * CHUNK + 9);
  await writeFile(join(root, 'a/b/over.bin'), changed);
  assertExit(await runCli(args), 0);
  const after = await readTopic(topic);
  const seen = new Set(records.map((r) => `${r.partition}:${r.offset}`));
  const fresh = after.records.filter((r) => !seen.has(`${r.partition}:${r.offset}`));
  assert.equal(fresh.length, 3, 'three chunks of the changed file');
  assert.ok(fresh.every((r) => relPathOf(r.chunk) === 'a/b/over.bin' && r.chunk.fileHash.equals(sha512(changed))));
  assertOnePartitionPerFile(after.records);
  assertSameTree(rebuildFiles(after.records), await readTree(root));
  const rowsAfter = uploadedRows(await readFile(uploadedCsv, 'utf8'));
  assert.equal(rowsAfter.filter((r) => r.rel_filepath === 'a/b/over.bin').at(-1)!.file_hash, sha512(changed).toString('hex'));
});

test('upload-directory watching: files there at start stay, a file created while it runs is sent after the lag', async (t) => {
  const root = await tempDir(t);
  await put(root, 'old.bin', randomBytes(3 * CHUNK));
  await put(root, 'sub/old-too.txt', 'already here');
  const topic = uniqueTopic(t);
  const cli = startCli(['upload-directory', root, '--topic_name', topic, '--chunk_size', String(CHUNK), '--watchdog_lag_time', '1', '--until_idle', '3']);
  t.after(() => cli.kill());
  await cli.waitForLine(/watching for files to upload/);
  // The first scan (which decides what "was there at start") runs right after that line; give
  // it a moment so the new file is unmistakably new. The exit does not depend on this pause.
  await sleep(1500);
  const fresh = randomBytes(5 * CHUNK + 3);
  await put(root, 'sub/new/fresh.bin', fresh);
  const result = await cli.done;
  assertExit(result, 0);
  const uploaded = logLines(result.stderr).filter((l) => l.msg === 'uploaded');
  assert.deepEqual(
    uploaded.map((l) => l.file),
    ['sub/new/fresh.bin'],
  );

  const { records } = await readTopic(topic);
  assert.deepEqual([...new Set(records.map((r) => relPathOf(r.chunk)))], ['sub/new/fresh.bin'], 'files present at start were not sent');
  assert.equal(records.length, 6);
  assert.ok(rebuildFiles(records).get('sub/new/fresh.bin')!.equals(fresh));
});

test('upload-directory without --until_idle runs until SIGTERM, then stops cleanly with exit 143 (128 + SIGTERM)', async (t) => {
  const root = await tempDir(t);
  await put(root, 'there.bin', randomBytes(CHUNK));
  const topic = uniqueTopic(t);
  const cli = startCli(['upload-directory', root, '--topic_name', topic, '--upload_existing', '--chunk_size', String(CHUNK)]);
  t.after(() => cli.kill());
  await cli.waitForLine(/"msg":"uploaded"/);
  cli.kill('SIGTERM');
  const result = await cli.done;
  assertExit(result, 143);
  const lines = logLines(result.stderr);
  assert.ok(lines.some((l) => l.reason === 'SIGTERM'));
  assert.equal(lines.find((l) => l.msg === 'upload-directory finished')!.filesUploaded, 1);
  const rows = uploadedRows(await readFile(join(root, 'LOGS', `uploaded_to_${topic}.csv`), 'utf8'));
  assert.deepEqual(
    rows.map((r) => r.rel_filepath),
    ['there.bin'],
  );
});
