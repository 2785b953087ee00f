/**
 * Integration: `datafile-stream upload-file` against the real broker (127.0.0.1:9092), read back
 * with a raw kafkajs consumer. Every record decodes, keys are OpenMSIStream's, one partition per
 * file, the chunks rebuild the file byte for byte, and the batches arrive LZ4-compressed (the
 * bundled config's setting) unless the config says otherwise. Also uploadFile in-process against
 * the broker with a file rewritten mid-upload: the last generation carries the final hash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { chunkKey } from '../../lib/codec/chunk-codec.js';
import { loadConfig } from '../../lib/config/config-file.js';
import { producerOptions } from '../../lib/config/kafka-options.js';
import { chooseKafkaEngine } from '../../lib/config/kafka-engine-option.js';
import { ensureTopic } from '../../lib/kafka/ensure-topic.js';
import { librdkafkaAvailable } from '../../lib/kafka/librdkafka-engine.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import { ChunkProducer } from '../../lib/producer/chunk-producer.js';
import { FilePartitioner } from '../../lib/producer/file-partitioner.js';
import { uploadFile } from '../../lib/producer/upload-file.js';
import { assertExit, assertOnePartitionPerFile, BROKER, readTopic, rebuildFiles, runCli, uniqueTopic } from './upload-support.js';
import { tempDir } from '../support/temp-dir.js';

const { CompressionTypes } = kafkajs;
const sha512 = (data: Uint8Array): Buffer => createHash('sha512').update(data).digest();

/** Half random, half repetitive: LZ4 has something to do, and chunks all differ. */
function content(size: number): Buffer {
  const out = Buffer.alloc(size);
  randomBytes(Math.floor(size / 2)).copy(out);
  out.fill('datafile-stream ', Math.floor(size / 2));
  return out;
}

test('the bundled config produces with lz4, like OpenMSIStream', () => {
  assert.equal(producerOptions(loadConfig('local', {}).sections).compression, 'lz4');
});

test('upload-file: a multi-chunk file on the broker decodes, keys match, one partition, rebuilds byte for byte, LZ4 batches', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'sample 1.dat');
  // Default chunk size (512 KiB): 11 full chunks and one byte over, in several ~2 MB batches.
  const data = content(11 * 524288 + 1);
  await writeFile(path, data);
  const topic = uniqueTopic(t);
  assertExit(await runCli(['upload-file', path, '--topic_name', topic]), 0);

  const { records, lz4Keys } = await readTopic(topic);
  assert.equal(records.length, 12, 'one record per chunk, none twice');
  for (const r of records) {
    assert.equal(r.key, chunkKey(r.chunk));
    assert.equal(r.chunk.filename, 'sample 1.dat');
    assert.equal(r.chunk.subdirStr, '');
    assert.equal(r.chunk.nTotalChunks, 12);
    assert.deepEqual(r.chunk.fileHash, sha512(data));
    assert.equal(r.value.length > r.chunk.data.length, true);
  }
  assert.deepEqual(
    records.map((r) => r.chunk.chunkI).sort((a, b) => a - b),
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  assert.equal(records[0]!.key.startsWith('_sample 1.dat_chunk_'), true, 'a top-level file has a leading underscore');
  const info = await stat(path);
  assert.ok(Math.abs(records[0]!.chunk.fileMtime! - info.mtimeMs / 1000) < 1e-3, 'the mtime travels in field 9');
  assertOnePartitionPerFile(records);
  assert.ok(rebuildFiles(records).get('sample 1.dat')!.equals(data));
  // librdkafka, like OpenMSIStream's client, sends a batch LZ4 does not shrink uncompressed: on
  // it only the batches of the repetitive half (chunks 7-12) must arrive LZ4-compressed.
  const plainAllowed = chooseKafkaEngine({}) === 'librdkafka' && librdkafkaAvailable();
  const compressible = records.filter((r) => !plainAllowed || r.chunk.chunkI >= 7).map((r) => r.key);
  assert.deepEqual([...lz4Keys].filter((k) => compressible.includes(k)).sort(), compressible.sort(), 'every (compressible) record came in an LZ4 batch');
});

test('upload-file honours compression.type from the config file (none: no LZ4 batches)', async (t) => {
  const dir = await tempDir(t);
  const config = join(dir, 'plain.ini');
  await writeFile(config, `[broker]\nbootstrap.servers = ${BROKER}\n\n[producer]\ncompression.type = none\n`);
  const path = join(dir, 'x.bin');
  const data = content(3 * 4096 + 5);
  await writeFile(path, data);
  const topic = uniqueTopic(t);
  assertExit(await runCli(['upload-file', path, '--config', config, '--topic_name', topic, '--chunk_size', '4096']), 0);
  const { records, lz4Keys } = await readTopic(topic);
  assert.equal(records.length, 4);
  assert.equal(lz4Keys.size, 0, 'the LZ4 check can tell an uncompressed topic apart');
  assert.ok(rebuildFiles(records).get('x.bin')!.equals(data));
});

test('upload-file takes kebab-case flags (--topic-name, --chunk-size)', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'kebab.bin');
  const data = content(5 * 16384 + 3);
  await writeFile(path, data);
  const topic = uniqueTopic(t);
  assertExit(await runCli(['upload-file', path, '--topic-name', topic, '--chunk-size', '16384', '--logger-stream-level', 'warning']), 0);
  const { records } = await readTopic(topic);
  assert.equal(records.length, 6, '--chunk-size 16384 gives six chunks');
  assert.ok(records.every((r) => r.chunk.data.length <= 16384));
  assert.ok(rebuildFiles(records).get('kebab.bin')!.equals(data));
});

test('uploadFile against the broker: a file rewritten mid-upload is re-sent; the last generation has the final hash', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'rewritten.bin');
  const CHUNK = 8192;
  const first = content(12 * CHUNK);
  const final = content(15 * CHUNK + 77);
  await writeFile(path, first);
  const topic = uniqueTopic(t);
  const kafka = createKafka({ brokers: [BROKER] });
  await ensureTopic(kafka, topic);
  const producer = kafka.producer({ createPartitioner: FilePartitioner });
  await producer.connect();
  t.after(() => producer.disconnect());
  // A budget of two chunks: the upload crawls at the broker's pace, one small batch at a time.
  const chunks = new ChunkProducer(producer, { topic, compression: CompressionTypes.LZ4, maxBytesInFlight: 2 * CHUNK + 1024, batchBytes: CHUNK, lingerMs: 5 });
  let sentChunks = 0;
  const result = await uploadFile(chunks, path, {
    chunkSize: CHUNK,
    subdirStr: 'gen',
    onChunk: () => {
      sentChunks += 1;
      if (sentChunks === 5) writeFileSync(path, final);
    },
  });
  await chunks.flush();
  assert.equal(result.generations, 2);
  assert.deepEqual(result.fileHash, sha512(final));

  const { records } = await readTopic(topic);
  assertOnePartitionPerFile(records);
  const oldGen = records.filter((r) => r.chunk.fileHash.equals(sha512(first)));
  const newGen = records.filter((r) => r.chunk.fileHash.equals(sha512(final)));
  assert.equal(oldGen.length + newGen.length, records.length);
  assert.deepEqual(
    oldGen.map((r) => r.chunk.chunkI).sort((a, b) => a - b),
    [1, 2, 3, 4, 5],
  );
  assert.equal(newGen.length, 16);
  assert.ok(newGen.every((r) => r.chunk.nTotalChunks === 16));
  // On the file's one partition the final generation comes after every chunk of the old one.
  const lastOld = oldGen.reduce((m, r) => (r.offset > m ? r.offset : m), -1n);
  assert.ok(newGen.every((r) => r.offset > lastOld));
  assert.equal(records[records.length - 1]!.chunk.fileHash.equals(sha512(final)), true);
  assert.ok(rebuildFiles(records).get('gen/rewritten.bin')!.equals(final));
});
