/**
 * DirectoryUploader without Kafka: a real ChunkProducer over a kafkajs Producer stand-in whose
 * acknowledgements the test holds back. A file whose chunks are all queued must give its reading
 * slot to the next file, so small files share produce requests instead of each waiting for its
 * own acknowledgement; a file counts as uploaded only once it is acknowledged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { type Producer, type ProducerRecord } from 'kafkajs';
import { decodeChunk } from '../../lib/codec/chunk-codec.js';
import { ChunkProducer } from '../../lib/producer/chunk-producer.js';
import { DirectoryUploader } from '../../lib/producer/upload-directory.js';
import { silent } from '../support/stage-fixtures.js';
import { memoryLedger } from './upload-fixtures.js';

test('files whose chunks are queued free their slot before the broker acknowledges them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'upload-dir-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'sub'));
  const names = Array.from({ length: 12 }, (_, i) => `sub/f${String(i).padStart(2, '0')}.dat`);
  for (const [i, name] of names.entries()) await writeFile(join(dir, name), Buffer.alloc(3000 + i, i));

  const requests: string[][] = [];
  let acknowledge!: () => void;
  const held = new Promise<void>((resolve) => (acknowledge = resolve));
  const producer = {
    send: async (record: ProducerRecord) => {
      requests.push(record.messages.map((m) => decodeChunk(m.value as Buffer).filename));
      await held;
      return [];
    },
  } as unknown as Producer;
  // Every batch may reach the producer unanswered: the slots are the subject here, not the request cap.
  const chunks = new ChunkProducer(producer, { topic: 't', compression: kafkajs.CompressionTypes.None, batchBytes: 1 << 20, lingerMs: 5, maxRequestsInFlight: 100 });
  const { ledger, uploaded } = memoryLedger();
  const uploader = new DirectoryUploader({ root: dir, producer: chunks, registry: ledger, logger: silent, chunkSize: 4096, nThreads: 2, uploadExisting: true, pollInterval: 20 });
  const stop = new AbortController();
  const running = uploader.run(stop.signal, () => uploader.idle(0.2));

  // With nothing acknowledged, every file is still read and sent: two slots, twelve files.
  const deadline = Date.now() + 10_000;
  while (requests.flat().length < names.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(requests.flat().length, names.length, `sent before any acknowledgement: ${requests.flat().length} of ${names.length}`);
  assert.ok(requests.length < names.length, `files share produce requests (${requests.length} requests)`);
  assert.deepEqual(uploaded, [], 'nothing is uploaded before the broker acknowledged it');
  assert.equal(uploader.stats.inProgress, names.length);
  assert.equal(uploader.idle(0), false);

  acknowledge();
  await running;
  assert.deepEqual([...uploaded].sort(), names);
  assert.equal(uploader.stats.filesUploaded, names.length);
  assert.equal(uploader.stats.inProgress, 0);
});

test('a stop starts no new file and returns only when no upload uses the producer or the registry any more', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'upload-dir-stop-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const names = Array.from({ length: 40 }, (_, i) => `f${String(i).padStart(2, '0')}.dat`);
  for (const [i, name] of names.entries()) await writeFile(join(dir, name), Buffer.alloc(9000 + i, i));

  let firstRequest!: () => void;
  const requested = new Promise<void>((resolve) => (firstRequest = resolve));
  const producer = {
    send: async () => {
      firstRequest();
      await new Promise((r) => setTimeout(r, 5));
      return [];
    },
  } as unknown as Producer;
  const chunks = new ChunkProducer(producer, { topic: 't', compression: kafkajs.CompressionTypes.None, batchBytes: 1 << 20, lingerMs: 5 });
  const { ledger, uploaded } = memoryLedger();
  // The caller closes the registry once run() returned: any use after that is the bug.
  let closed = false;
  const usedAfterClose: string[] = [];
  const guarded: typeof ledger = {
    isUploaded: (...a) => (closed && usedAfterClose.push('isUploaded'), ledger.isUploaded(...a)),
    markStarted: (rel, info) => (closed && usedAfterClose.push(`markStarted ${rel}`), ledger.markStarted(rel, info)),
    markChunkAcked: (rel, i) => (closed && usedAfterClose.push(`markChunkAcked ${rel}`), ledger.markChunkAcked(rel, i)),
    markUploaded: (rel, info) => (closed && usedAfterClose.push(`markUploaded ${rel}`), ledger.markUploaded(rel, info)),
    flush: async () => void (closed && usedAfterClose.push('flush')),
  };
  const uploader = new DirectoryUploader({ root: dir, producer: chunks, registry: guarded, logger: silent, chunkSize: 4096, nThreads: 2, uploadExisting: true, pollInterval: 20 });
  const stop = new AbortController();
  const running = uploader.run(stop.signal);
  await requested;
  stop.abort();
  await running;
  closed = true;
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(usedAfterClose, [], 'nothing used the registry after run() returned');
  const s = uploader.stats;
  assert.equal(s.inProgress, 0);
  assert.ok(uploaded.length < names.length, `stopped mid-way (${uploaded.length} of ${names.length})`);
  assert.equal(s.filesUploaded + s.filesStopped + s.queued, names.length, 'every file is uploaded, stopped for the next run, or still queued');
  assert.equal(s.filesFailed, 0);
});
