/**
 * Interop (issue 5, test 3): one OpenMSIStream config file drives both toolkits unchanged.
 * The file is OpenMSIStream's own shipped `local_broker_test.config` (a verbatim copy in
 * fixtures/openmsistream-configs/): `bootstrap.servers = $LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS`,
 * a `[producer]` with `compression.type = lz4`, `linger.ms`, `batch.size` and serializer names, a
 * `[consumer]` with `group.id = create_new`, `auto.offset.reset`, `fetch.min.bytes` and
 * deserializer names. The same path is given to OpenMSIStream's UploadDataFile and
 * DataFileDownloadDirectory and to our upload-file and download-directory:
 *  - with the variable unset, both refuse to start and name it;
 *  - with it set, each uploads one file (default settings otherwise, 512 KiB chunks) to a shared
 *    topic, every record on the wire sits in an LZ4-compressed batch (ours as much as
 *    librdkafka's), and each downloader rebuilds both files.
 * The files are compressible text: librdkafka sends a batch uncompressed when LZ4 would not
 * shrink it (random bytes), so random content would not show what the config asks for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { registerCodecs } from '../../lib/kafka/compression.js';
import {
  CHILD_ENV,
  DEFAULT_CHUNK_SIZE,
  SHIPPED_CONFIG,
  Scope,
  assertRunning,
  hashTree,
  readRecords,
  recordCount,
  sorted,
  totalChunks,
  treeHas,
  waitFor,
  writeTree,
} from './helpers.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** Records what the LZ4 codec decompresses while `fn` runs (every LZ4 record batch fetched). */
async function withLz4Spy<T>(fn: () => Promise<T>): Promise<{ result: T; payloads: Buffer[] }> {
  registerCodecs();
  const table = CompressionCodecs as Record<number, () => Codec>;
  const original = table[CompressionTypes.LZ4]!;
  const payloads: Buffer[] = [];
  table[CompressionTypes.LZ4] = () => {
    const inner = original();
    return {
      compress: (encoder) => inner.compress(encoder),
      decompress: async (buffer) => {
        const out = await inner.decompress(buffer);
        payloads.push(out);
        return out;
      },
    };
  };
  try {
    return { result: await fn(), payloads };
  } finally {
    table[CompressionTypes.LZ4] = original;
  }
}

const OURS = 'from-datafile-stream.bin';
const THEIRS = 'from-openmsistream.bin';
/** Both uploads use the default chunk size (512 KiB): nothing but the config file is given. */
const FILES: Record<string, number> = { [OURS]: 2 * DEFAULT_CHUNK_SIZE + 999, [THEIRS]: 3 * DEFAULT_CHUNK_SIZE };

test("OpenMSIStream's shipped local_broker_test.config drives both programs unchanged (LZ4, $VAR bootstrap)", { timeout: 300_000 }, async (t) => {
  const text = await readFile(SHIPPED_CONFIG, 'utf8');
  assert.match(text, /^bootstrap\.servers\s*=\s*\$LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS\s*$/m);
  assert.match(text, /^compression\.type\s*=\s*lz4\s*$/m);

  const scope = new Scope(t);
  const work = await scope.tempDir('shared-config');
  const upDir = join(work, 'upload');
  const expected = await writeTree(upDir, FILES, { compressible: true });
  const topic = await scope.topic('shared-config', 3);
  const common = ['--config', SHIPPED_CONFIG, '--topic_name', topic];

  // --- the variable unset: both refuse to start, naming it
  const { LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS: _unset, ...envWithout } = CHILD_ENV;
  const oursUnset = scope.ours(['upload-file', join(upDir, OURS), ...common], envWithout);
  const theirsUnset = scope.python('UploadDataFile', [join(upDir, THEIRS), ...common], 'main', envWithout);
  const [oursCode, theirsCode] = await Promise.all([oursUnset.waitExit(60_000), theirsUnset.waitExit(60_000)]);
  assert.notEqual(oursCode, 0, oursUnset.tail());
  assert.notEqual(theirsCode, 0, theirsUnset.tail());
  assert.match(oursUnset.output, /LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS/);
  assert.match(theirsUnset.output, /LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS/);
  assert.equal(await recordCount(topic), 0, 'nothing was produced');

  // --- set: each uploads one file with the same config path
  await Promise.all([
    scope.ours(['upload-file', join(upDir, OURS), ...common]).succeeds(90_000),
    scope.python('UploadDataFile', [join(upDir, THEIRS), ...common]).succeeds(90_000),
  ]);
  const total = totalChunks(FILES, 0, DEFAULT_CHUNK_SIZE);
  assert.equal(await recordCount(topic), total);

  // every record arrived inside an LZ4 batch: its key is in what the LZ4 codec decompressed
  const { result: records, payloads } = await withLz4Spy(() => readRecords(topic, total));
  assert.ok(payloads.length > 0, 'LZ4 batches were fetched');
  for (const name of [OURS, THEIRS]) {
    const keys = records.filter((r) => r.key.startsWith(`_${name}_chunk_`)).map((r) => r.key);
    assert.equal(keys.length, Math.ceil(FILES[name]! / DEFAULT_CHUNK_SIZE), `records of ${name}`);
    for (const key of keys) {
      const needle = Buffer.from(key, 'utf8');
      assert.ok(
        payloads.some((p) => p.includes(needle)),
        `${key} came in an LZ4-compressed batch`,
      );
    }
  }

  // --- both downloaders, same config path, rebuild both files
  const oursOut = join(work, 'download-ours');
  const theirsOut = join(work, 'download-openmsistream');
  const ours = scope.ours(['download-directory', oursOut, ...common, '--until_idle', '3']);
  const theirs = scope.python('DataFileDownloadDirectory', [theirsOut, ...common]);
  await Promise.all([
    ours.succeeds(120_000),
    (async () => {
      await waitFor(
        () => `OpenMSIStream to rebuild both files (output:\n${theirs.tail()})`,
        async () => {
          assertRunning(theirs);
          return treeHas(theirsOut, expected);
        },
        150_000,
      );
      await theirs.quitAndWait(90_000);
    })(),
  ]);
  assert.deepEqual(sorted(await hashTree(oursOut)), sorted(expected), `our download-directory\n${ours.tail()}`);
  assert.deepEqual(sorted(await hashTree(theirsOut)), sorted(expected), `OpenMSIStream's DataFileDownloadDirectory\n${theirs.tail()}`);
});
