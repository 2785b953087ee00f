/** uploadFile's options: the chunk size has one default and one rule (a power of two), for the library and for --chunk_size. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { uploadFile } from '../../lib/producer/upload-file.js';
import { checkChunkSize, MAX_CHUNK_SIZE, UPLOAD_FILE_DEFAULTS, validateUploadFileLimits } from '../../lib/producer/upload-file-options.js';
import { uploadFileParser } from '../../lib/cli/commands/upload-file.js';
import { CompressionTypes } from 'kafkajs';
import { ChunkProducer } from '../../lib/producer/chunk-producer.js';
import { CHUNK_PRODUCER_DEFAULTS, validateChunkProducerLimits } from '../../lib/producer/chunk-producer-options.js';
import { tempDir } from '../support/temp-dir.js';

test('left undefined, the chunk size is 512 KiB (OpenMSIStream\'s) and the --chunk_size default is the same value', () => {
  assert.ok(Object.isFrozen(UPLOAD_FILE_DEFAULTS));
  assert.deepEqual({ ...validateUploadFileLimits({}) }, { chunkSize: 524288, maxGenerations: 5 });
  assert.equal(uploadFileParser.definitions.find((d) => d.name === 'chunk_size')?.default, UPLOAD_FILE_DEFAULTS.chunkSize);
  assert.equal(uploadFileParser.parse(['f']).chunk_size, 524288);
});

test('the power-of-two rule: powers of two up to 64 MiB pass, anything else is ERR_INVALID_OPTION naming the option', () => {
  for (const ok of [1, 16384, 524288, MAX_CHUNK_SIZE]) assert.equal(checkChunkSize(ok, 'chunkSize'), ok);
  for (const bad of [0, -16, 1000, 3000, 2 * MAX_CHUNK_SIZE, 1.5]) {
    assert.throws(() => checkChunkSize(bad, 'chunkSize'), { name: 'UploadError', code: 'ERR_INVALID_OPTION', option: 'chunkSize' });
  }
});

test('the library refuses a chunk size the command line refuses, with the same code, before anything is read or sent', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.dat');
  await writeFile(path, 'x'.repeat(5000));
  // The producer is never reached: the options are checked first.
  await assert.rejects(uploadFile(undefined as never, path, { chunkSize: 1000 }), { code: 'ERR_INVALID_OPTION', option: 'chunkSize' });
  await assert.rejects(uploadFile(undefined as never, path, { maxGenerations: 0 }), { code: 'ERR_INVALID_OPTION', option: 'maxGenerations' });
  assert.throws(() => uploadFileParser.parse(['f', '--chunk_size', '1000']), { code: 'ERR_INVALID_OPTION', option: 'chunk_size', message: /^chunk_size must be a power of two up to 64 MiB \(67108864\), got 1000$/ });
});

test("ChunkProducer's limits: frozen defaults (OpenMSIStream's batch.size and linger.ms), --queue_max_size defaults to the same bound", () => {
  assert.ok(Object.isFrozen(CHUNK_PRODUCER_DEFAULTS));
  assert.deepEqual({ ...validateChunkProducerLimits({}) }, { maxBytesInFlight: 16 * 1024 * 1024, batchBytes: 2_000_000, lingerMs: 100, acks: -1, maxRequestsInFlight: 2 });
  assert.equal(Number(uploadFileParser.parse(['f']).queue_max_size) * 1024 * 1024, CHUNK_PRODUCER_DEFAULTS.maxBytesInFlight);
  for (const [option, value] of [['maxBytesInFlight', 0], ['batchBytes', 0.5], ['lingerMs', -1], ['acks', 2], ['maxRequestsInFlight', 0]] as const) {
    // The producer is never reached: the constructor checks its options first.
    assert.throws(() => new ChunkProducer(undefined as never, { topic: 't', compression: CompressionTypes.None, [option]: value }), { name: 'UploadError', code: 'ERR_INVALID_OPTION', option });
  }
  assert.throws(() => uploadFileParser.parse(['f', '--queue_max_size', '0']), { code: 'ERR_INVALID_OPTION', option: 'queue_max_size' });
});
