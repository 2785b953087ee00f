/**
 * The fault matrix's SIGKILL scenario against a reproducer: a run is killed (SIGKILL, at the crash
 * points of lib/faults/crash-point.ts: after a result was computed/acknowledged, in processing,
 * after the registry flush, right after a commit) and restarted, four times, then run to the end.
 * A reader with read_committed (kafkajs readUncommitted: false) then finds, in exactly-once mode,
 * every file's result exactly once: 0 lost, 0 duplicates. The same kills in at-least-once mode
 * lose nothing either, but produce duplicates (the kill right after a result was acknowledged
 * and before its offsets were committed makes the restart produce it again).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bytes, chunksOf, createTopic, produce, recordOf, sha512Hex, uniqueName, assertCommittedToEnd } from './consumer-support.js';
import { CHILD_ENV, ROOT, Scope } from '../interop/helpers.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';

const CHUNK = 4096;
const N = 60;
const FILES = new Map(Array.from({ length: N }, (_, i) => [`d${i % 3}/file_${String(i).padStart(3, '0')}.bin`, bytes(CHUNK * (1 + (i % 4)) + 100 + i, 100 + i)]));
const FIXTURE = join(ROOT, 'test/integration/fixtures/sha-reproducer.ts');
const KILLS = ['after-processing:4', 'in-processing:3', 'after-commit:2', 'after-registry:1'];

/** Every record of the topic a read_committed reader sees (waits until `atLeast` came, then for quiet). */
async function readCommitted(topic: string, atLeast: number): Promise<Array<{ key: string; value: string }>> {
  const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: 'reproducer-crash-reader', engine: 'kafkajs' });
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(6).toString('hex')}`, readUncommitted: false });
  const seen: Array<{ key: string; value: string }> = [];
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => {
      seen.push({ key: message.key!.toString('utf8'), value: message.value!.toString('utf8') });
      last = Date.now();
    } });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (seen.length < atLeast || Date.now() - last < 4000)) await new Promise((r) => setTimeout(r, 250));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

async function killAndRestart(t: TestContext, atLeastOnce: boolean): Promise<{ lost: number; duplicates: number; kills: number }> {
  const scope = new Scope(t);
  const topic = uniqueName('repro-crash');
  const results = uniqueName('repro-crash-results');
  await createTopic(topic, 3);
  await createTopic(results, 2);
  await produce(topic, [...FILES].flatMap(([path, data]) => chunksOf(path, data, CHUNK).map((c, i) => recordOf(c, (i + path.length) % 3))));
  const out = await scope.tempDir('repro-crash');
  const group = uniqueName('repro-crash-g');
  const args = ['reproduce', FIXTURE, '--config', 'local', '--topic_name', topic, '--producer_topic_name', results, '--consumer_group_id', group, '--output_dir', out, '--until_idle', '2', '--logger_stream_level', 'warning', ...(atLeastOnce ? ['--at_least_once'] : [])];
  let kills = 0;
  for (const point of KILLS) {
    const run = scope.ours(args, { ...CHILD_ENV, DATAFILE_STREAM_CRASH_AT: point });
    const code = await run.waitExit(120_000);
    if (code === 0) break; // finished before reaching the point: nothing left to kill
    assert.equal(code, null, `the run with DATAFILE_STREAM_CRASH_AT=${point} ended with ${code}; output:\n${run.tail()}`);
    assert.match(run.output, /killed by SIGKILL/);
    kills++;
  }
  assert.ok(kills >= 3, `only ${kills} runs were killed mid-run`);
  await scope.ours(args).succeeds(120_000);
  await assertCommittedToEnd(topic, group);

  const seen = await readCommitted(results, N);
  const expected = new Map([...FILES].map(([path, data]) => {
    const parts = path.split('/');
    const name = parts.pop()!;
    return [`${parts.join('_')}_${name}_chunk_processing_result`, `${path} ${sha512Hex(data)}`];
  }));
  for (const r of seen) assert.equal(r.value, expected.get(r.key), `result of ${r.key}`);
  const keys = new Set(seen.map((r) => r.key));
  return { lost: [...expected.keys()].filter((k) => !keys.has(k)).length, duplicates: seen.length - keys.size, kills };
}

test('exactly once: SIGKILLed and restarted four times, a read_committed reader sees every result once', { timeout: 600_000 }, async (t) => {
  const r = await killAndRestart(t, false);
  t.diagnostic(`exactly once: ${r.kills} kills, ${r.lost} lost, ${r.duplicates} duplicates of ${N} results`);
  assert.deepEqual({ lost: r.lost, duplicates: r.duplicates }, { lost: 0, duplicates: 0 });
});

test('at least once: the same kills lose nothing but produce duplicates', { timeout: 600_000 }, async (t) => {
  const r = await killAndRestart(t, true);
  t.diagnostic(`at least once: ${r.kills} kills, ${r.lost} lost, ${r.duplicates} duplicates of ${N} results`);
  assert.equal(r.lost, 0);
  assert.ok(r.duplicates > 0, 'a kill between a result acknowledged and its commit produces it again');
});
