/**
 * Reproducers against the real broker, in both modes: every rebuilt file's result is produced to
 * the producer topic under OpenMSIStream's key, recorded in results_produced_to_<topic>.csv, and
 * offsets pass it; a result that cannot be computed is recorded as computing_result_message_failed,
 * kept, and produced by a later run with retryFailed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFileStreamReproducer } from '../../lib/programs/data-file-stream-reproducer.js';
import { MetadataJSONReproducer } from '../../lib/programs/metadata-json-reproducer.js';
import { pythonJsonDumps } from '../../lib/codec/python-json.js';
import type { DownloadDataFile } from '../../lib/download-data-file.js';
import { assertCommittedToEnd, bytes, chunksOf, createTopic, produce, recordOf, sha512Hex, uniqueName } from './consumer-support.js';
import { readRecords } from '../interop/helpers.js';
import { tempDir } from '../support/temp-dir.js';

const CHUNK = 4096;
const FILES: Record<string, Buffer> = {
  'top.dat': bytes(3 * CHUNK + 17, 1),
  'a/b/nested.bin': bytes(5 * CHUNK, 2),
  'données/mesure ß.csv': Buffer.from('x,y\n1,2\n'),
  'bad/no-result.txt': Buffer.from('this one has no result the first time'),
};

async function chunkTopic(): Promise<string> {
  const topic = uniqueName('repro-chunks');
  await createTopic(topic, 3);
  await produce(topic, Object.entries(FILES).flatMap(([path, data]) => chunksOf(path, data, CHUNK).map((c, i) => recordOf(c, i % 3))));
  return topic;
}

class ShaReproducer extends DataFileStreamReproducer {
  static refuse = true;
  getProcessingResultMessageForFile(file: DownloadDataFile): string | undefined {
    if (ShaReproducer.refuse && file.filename === 'no-result.txt') return undefined;
    return `${file.relativeFilepath} ${sha512Hex(file.bytestring)}`;
  }
}

const keyOf = (path: string): string => {
  const parts = path.split('/');
  const name = parts.pop()!;
  return `${parts.join('_')}_${name}_chunk_processing_result`;
};

for (const atLeastOnce of [false, true]) {
test(`${atLeastOnce ? 'at least once' : 'exactly once'}: each file gives one result under its OpenMSIStream key; a failed result is recorded, kept and retried`, { timeout: 120_000 }, async (t) => {
  ShaReproducer.refuse = true;
  const topic = await chunkTopic();
  const results = uniqueName('repro-results');
  await createTopic(results, 2);
  const group = uniqueName('repro-g');
  const outputDir = await tempDir(t);
  const options = { config: 'local', topicName: topic, producerTopicName: results, consumerGroupId: group, outputDir, untilIdle: 1.5, maxAttempts: 2, loggerStreamLevel: 'silent', atLeastOnce };

  const first = await new ShaReproducer(options).run();
  assert.equal(first.filesProcessed, 3);
  assert.equal(first.filesFailed, 1);
  await assertCommittedToEnd(topic, group);
  const logs = join(outputDir, 'LOGS');
  const inProgress = await readFile(join(logs, `consuming_from_${topic}_in_progress_by_${group}.csv`), 'utf8');
  assert.match(inProgress, /\nno-result\.txt;bad\/no-result\.txt;computing_result_message_failed;1;/);

  ShaReproducer.refuse = false;
  const second = await new ShaReproducer({ ...options, retryFailed: true }).run();
  assert.equal(second.filesProcessed, 0, 'nothing left on the topic');

  const records = await readRecords(results, 4);
  const byKey = new Map(records.map((r) => [r.key, r.value.toString('utf8')]));
  assert.equal(byKey.size, 4, 'one result per file');
  for (const [path, data] of Object.entries(FILES)) assert.equal(byKey.get(keyOf(path)), `${path} ${sha512Hex(data)}`, path);
  assert.ok(byKey.has('_top.dat_chunk_processing_result'), 'a top-level file key starts with _');

  const produced = (await readFile(join(logs, `results_produced_to_${results}.csv`), 'utf8')).trimEnd().split('\n');
  assert.equal(produced[0], 'filename;rel_filepath;n_chunks;first_message;processed_at;file_hash');
  assert.deepEqual(produced.slice(1).map((row) => row.split(';')[1]).sort(), Object.keys(FILES).sort());
  assert.doesNotMatch(await readFile(join(logs, `consuming_from_${topic}_in_progress_by_${group}.csv`), 'utf8'), /no-result/);
});
}

test('MetadataJSONReproducer produces the object as Python json.dumps text; a non-object is a failed result', { timeout: 120_000 }, async (t) => {
  const topic = await chunkTopic();
  const results = uniqueName('repro-json');
  await createTopic(results, 1);
  class Meta extends MetadataJSONReproducer {
    getMetadataDictForFile(file: DownloadDataFile): Record<string, unknown> {
      if (file.filename === 'no-result.txt') return ['not', 'a', 'dict'] as unknown as Record<string, unknown>;
      return { file: file.relativeFilepath, size: file.size, ratio: file.size / 3, ok: true };
    }
  }
  const outputDir = await tempDir(t);
  const group = uniqueName('repro-json-g');
  const summary = await new Meta({ config: 'local', topicName: topic, producerTopicName: results, consumerGroupId: group, outputDir, untilIdle: 1.5, maxAttempts: 1, loggerStreamLevel: 'silent' }).run();
  assert.equal(summary.filesProcessed, 3);
  assert.equal(summary.filesFailed, 1);
  const records = await readRecords(results, 3);
  for (const r of records) {
    const path = Object.keys(FILES).find((p) => keyOf(p) === r.key)!;
    const size = FILES[path]!.length;
    assert.equal(r.value.toString('utf8'), pythonJsonDumps({ file: path, size, ratio: size / 3, ok: true }));
    assert.match(r.value.toString('utf8'), /^\{"file": ".*", "size": \d+, "ratio": [\d.]+, "ok": true\}$/);
  }
  const inProgress = await readFile(join(outputDir, 'LOGS', `consuming_from_${topic}_in_progress_by_${group}.csv`), 'utf8');
  assert.match(inProgress, /computing_result_message_failed/);
});

test('a reproducer without a producer topic is refused before it connects', async (t) => {
  const outputDir = await tempDir(t);
  assert.throws(() => new ShaReproducer({ config: 'local', topicName: 'x', outputDir, loggerStreamLevel: 'silent' }), { code: 'ERR_INVALID_OPTION', option: 'producer_topic_name' });
});
