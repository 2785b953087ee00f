// A restarted upload-directory resends only the chunks the broker never acknowledged: the
// registry of a cut-short upload (some chunks acknowledged) makes the next run send the rest,
// and the topic then rebuilds the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadRegistry } from '../../lib/registry/upload-registry.js';
import { digestFile } from '../../lib/producer/file-chunker.js';
import { assertExit, countRecords, rebuildFiles, readTopic, runCli, uniqueTopic } from './upload-support.js';

test('upload-directory resumes a cut-short upload: only unacknowledged chunks are sent', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'upload-resume-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const topic = uniqueTopic(t, 't-resume');
  const chunkSize = 4096;
  const data = Buffer.alloc(10 * chunkSize + 123);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
  await writeFile(join(root, 'big.bin'), data);
  // What an earlier run recorded before it was killed: chunks 1-7 of this content acknowledged.
  const digest = await digestFile(join(root, 'big.bin'), chunkSize);
  const registry = await UploadRegistry.open({ dir: root, topic });
  const info = await stat(join(root, 'big.bin'));
  const toSend = registry.markStarted('big.bin', { size: info.size, mtimeMs: digest.mtime * 1000, nChunks: 11, fileHash: digest.fileHash });
  assert.equal(toSend.length, 11);
  for (let i = 1; i <= 7; i++) registry.markChunkAcked('big.bin', i);
  await registry.close();

  const run = await runCli(['upload-directory', root, '--topic_name', topic, '--upload_existing', '--until_idle', '1', '--chunk_size', String(chunkSize)]);
  assertExit(run, 0);
  assert.equal(await countRecords(topic), 4, 'chunks 8-11 only');
  const { records } = await readTopic(topic);
  assert.deepEqual(records.map((r) => r.chunk.chunkI).sort((a, b) => a - b), [8, 9, 10, 11]);

  // The same content again after the file changed: everything is sent as a new upload.
  await writeFile(join(root, 'big.bin'), Buffer.concat([data, Buffer.from('more')]));
  const again = await runCli(['upload-directory', root, '--topic_name', topic, '--upload_existing', '--until_idle', '1', '--chunk_size', String(chunkSize)]);
  assertExit(again, 0);
  const all = await readTopic(topic);
  assert.equal(all.records.length, 4 + 11);
  const rebuilt = rebuildFiles(all.records.slice(4));
  assert.ok(rebuilt.get('big.bin')?.equals(Buffer.concat([data, Buffer.from('more')])));
});
