/**
 * Interop: the real OpenMSIStream MetadataJSONReproducer (scripts/interop/metadata_reproducer.py)
 * and ours (`datafile-stream reproduce test/interop/fixtures/metadata-reproducer.ts`, the same
 * dict) read the same chunk topic and produce their results to two topics: every key and every
 * value is the same bytes, one message per file on each side, and each side records its files in
 * LOGS/results_produced_to_<topic>.csv.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_SIZE, ROOT, Scope, readRecords, recordCount, waitFor, writeTree } from './helpers.js';

const TREE: Record<string, number> = {
  'run-001/summary.txt': 2048,
  'run-001/images/frame 0001.tif': 5 * CHUNK_SIZE + 3,
  'Probe µ-XRD/Ångström scan.dat': CHUNK_SIZE + CHUNK_SIZE / 4,
  'top level.csv': 1000,
};
const PY = join(ROOT, 'scripts/interop/metadata_reproducer.py');
const TS = join(ROOT, 'test/interop/fixtures/metadata-reproducer.ts');
// A reproducer's config: chunks in, strings out (OpenMSIStream serializes results with StringSerializer).
const CONFIG = `[broker]
bootstrap.servers = $LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS

[producer]
key.serializer   = StringSerializer
value.serializer = StringSerializer

[consumer]
auto.offset.reset  = earliest
enable.auto.commit = False
key.deserializer   = StringDeserializer
value.deserializer = DataFileChunkDeserializer
`;

test('our MetadataJSONReproducer and OpenMSIStream\'s produce the same key and value bytes for every file', { timeout: 300_000 }, async (t) => {
  const scope = new Scope(t);
  const work = await scope.tempDir('reproducers');
  await writeTree(join(work, 'upload'), TREE);
  const config = join(work, 'reproducer.config');
  await writeFile(config, CONFIG);
  const topic = await scope.topic('repro-chunks', 3);
  const [pyResults, tsResults] = [await scope.topic('repro-py', 1), await scope.topic('repro-ts', 2)];
  const n = Object.keys(TREE).length;

  await scope.ours(['upload-directory', join(work, 'upload'), '--config', config, '--topic_name', topic, '--chunk_size', String(CHUNK_SIZE), '--upload_existing', '--until_idle', '2']).succeeds(120_000);

  const common = ['--config', config, '--consumer_topic_name', topic];
  const python = scope.python(PY, [...common, '--producer_topic_name', pyResults, '--consumer_group_id', `py-${Date.now()}`, '--output_dir', join(work, 'py-out')]);
  const ours = scope.ours(['reproduce', TS, ...common, '--producer_topic_name', tsResults, '--consumer_group_id', `ts-${Date.now()}`, '--output_dir', join(work, 'ts-out'), '--until_idle', '3']);
  await ours.succeeds(120_000);
  await waitFor(() => `OpenMSIStream produced ${n} results; output:\n${python.tail()}`, async () => (await recordCount(pyResults)) >= n, 120_000);
  await python.quitAndWait(60_000);

  const theirs = await readRecords(pyResults, n);
  const mine = await readRecords(tsResults, n);
  // (recordCount would count the transactions' commit markers too: ours commit results in transactions.)
  assert.equal(new Set(mine.map((r) => r.key)).size, n, 'one result per file');
  const bytesOf = (records: typeof mine) => new Map(records.map((r) => [r.key, r.value.toString('hex')]));
  assert.deepEqual(bytesOf(mine), bytesOf(theirs));
  assert.ok(mine.some((r) => r.key === '_top level.csv_chunk_processing_result'));
  assert.ok(mine.some((r) => r.key === 'Probe µ-XRD_Ångström scan.dat_chunk_processing_result'));

  for (const [dir, results] of [['py-out', pyResults], ['ts-out', tsResults]] as const) {
    const rows = (await readFile(join(work, dir, 'LOGS', `results_produced_to_${results}.csv`), 'utf8')).trimEnd().split('\n');
    assert.equal(rows.length - 1, n, `${dir}: one results_produced row per file`);
    assert.match(rows[0]!, /^filename,rel_filepath,n_chunks,first_message,processed_at$|^filename;rel_filepath;n_chunks;first_message;processed_at/);
  }
});
