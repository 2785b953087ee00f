/**
 * Integration: files the directory uploader cannot send, against the real broker. An unreadable
 * file (a real EACCES: under root the CLI runs without CAP_DAC_OVERRIDE, since root reads a
 * chmod 000 file anyway) and a file that vanishes after it was picked up are logged with their code and path,
 * the other files still arrive, and the exit status says whether anything failed.

 * ERR_TOPIC_MISSING (a broker that does not create topics): upload-topic-missing.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { mkdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ensureTopic } from '../../lib/kafka/ensure-topic.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { registerCodecs } from '../../lib/kafka/compression.js';
import { ChunkProducer } from '../../lib/producer/chunk-producer.js';
import { FilePartitioner } from '../../lib/producer/file-partitioner.js';
import { DirectoryUploader, type UploadLedger } from '../../lib/producer/upload-directory.js';
import { UploadRegistry } from '../../lib/registry/upload-registry.js';
import kafkajs from 'kafkajs';
import { assertExit, assertSameTree, BROKER, logLines, readTopic, readTree, rebuildFiles, runCli, uniqueTopic } from './upload-support.js';
import { tempDir } from '../support/temp-dir.js';

const { CompressionTypes } = kafkajs;
const CHUNK = 4096;

async function put(root: string, rel: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), data);
}

test('upload-directory: an unreadable file is a coded error naming it, the others arrive, exit 4', async (t) => {
  const root = await tempDir(t);
  await put(root, 'good-1.bin', randomBytes(3 * CHUNK + 5));
  await put(root, 'sub/good-2.txt', 'fine\n'.repeat(2000));
  await put(root, 'sub/locked.bin', randomBytes(2 * CHUNK));
  const expected = await readTree(root);
  expected.delete('sub/locked.bin');
  await chmod(join(root, 'sub/locked.bin'), 0o000);
  const asRoot = process.getuid?.() === 0;
  const topic = uniqueTopic(t);
  const result = await runCli(
    ['upload-directory', root, '--topic_name', topic, '--chunk_size', String(CHUNK), '--upload_existing', '--until_idle', '1', '--n_threads', '1'],
    { withoutReadOverride: asRoot },
  );
  assertExit(result, 4);
  const failures = logLines(result.stderr).filter((l) => l.level === 50);
  assert.equal(failures.length, 1, result.stderr);
  assert.equal(failures[0]!.code, 'ERR_FILE_UNREADABLE');
  assert.equal(failures[0]!.file, 'sub/locked.bin');
  assert.match(String(failures[0]!.msg), new RegExp(`${join(root, 'sub/locked.bin')}.*EACCES`));
  const finished = logLines(result.stderr).find((l) => l.msg === 'upload-directory finished')!;
  assert.equal(finished.filesUploaded, 2);
  assert.equal(finished.filesFailed, 1);
  // The log file under LOGS/ has the error too (its default level is warning), as a line of text.
  const logFile = await readFile(join(root, 'LOGS', 'DataFileUploadDirectory.log'), 'utf8');
  const logged = logFile.split('\n').filter((l) => / ERROR DataFileUploadDirectory: upload failed: /.test(l));
  assert.equal(logged.length, 1, logFile);
  assert.match(logged[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ERROR .* file=sub\/locked\.bin code=ERR_FILE_UNREADABLE /);

  const { records } = await readTopic(topic);
  assertSameTree(rebuildFiles(records), expected);
});

test('DirectoryUploader: a file that vanishes after it was picked up is skipped with a warning naming it; an unreadable one fails; the rest arrive', async (t) => {
  const root = await tempDir(t);
  await put(root, 'a.bin', randomBytes(2 * CHUNK + 1));
  await put(root, 'vanishing.bin', randomBytes(3 * CHUNK));
  await put(root, 'nested/becomes-dir.bin', randomBytes(CHUNK));
  await put(root, 'nested/z.txt', 'last one');
  const topic = uniqueTopic(t);

  registerCodecs();
  const kafka = createKafka({ brokers: [BROKER] });
  await ensureTopic(kafka, topic);
  const producer = kafka.producer({ createPartitioner: FilePartitioner });
  await producer.connect();
  t.after(() => producer.disconnect());
  const registry = await UploadRegistry.open({ dir: root, topic });
  t.after(() => registry.close());

  // The registry hears of an upload after the hashing pass, just before the chunks are read and
  // sent: the moment to pull the file away.
  const ledger: UploadLedger = {
    isUploaded: (rel, size, mtimeMs) => registry.isUploaded(rel, size, mtimeMs),
    markStarted: (rel, info) => {
      if (rel === 'vanishing.bin') unlinkSync(join(root, rel));
      if (rel === 'nested/becomes-dir.bin') {
        unlinkSync(join(root, rel));
        mkdirSync(join(root, rel));
      }
      return registry.markStarted(rel, info);
    },
    markChunkAcked: (rel, chunkI) => registry.markChunkAcked(rel, chunkI),
    markUploaded: (rel, info) => registry.markUploaded(rel, info),
    flush: () => registry.flush(),
  };
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...logLines(chunk.toString()));
      done();
    },
  });
  const uploader = new DirectoryUploader({
    root,
    producer: new ChunkProducer(producer, { topic, compression: CompressionTypes.LZ4 }),
    registry: ledger,
    logger: pino({ level: 'info' }, sink),
    chunkSize: CHUNK,
    uploadExisting: true,
    nThreads: 1,
    pollInterval: 50,
  });
  await uploader.run(new AbortController().signal, () => uploader.idle(0.3));

  const vanished = lines.find((l) => l.code === 'ERR_FILE_VANISHED');
  assert.ok(vanished, JSON.stringify(lines));
  assert.equal(vanished.file, 'vanishing.bin');
  assert.equal(vanished.level, 40, 'a vanished file is a warning, not a failure');
  const unreadable = lines.find((l) => l.code === 'ERR_FILE_UNREADABLE');
  assert.ok(unreadable, JSON.stringify(lines));
  assert.equal(unreadable.file, 'nested/becomes-dir.bin');
  assert.match(String(unreadable.msg), /becomes-dir\.bin(: EISDIR| is not a regular file)/);
  assert.deepEqual(
    lines.filter((l) => l.msg === 'uploaded').map((l) => l.file),
    ['a.bin', 'nested/z.txt'],
  );
  assert.equal(uploader.stats.filesUploaded, 2);
  assert.equal(uploader.stats.filesFailed, 1, 'the vanished file is not counted as failed');

  const { records } = await readTopic(topic);
  const tree = await readTree(root);
  assertSameTree(rebuildFiles(records), new Map([...tree].filter(([rel]) => rel === 'a.bin' || rel === 'nested/z.txt')));
});
