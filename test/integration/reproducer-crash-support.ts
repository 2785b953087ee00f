/**
 * The reproducer crash run, shared by the engines' crash tests: 60 files on a 3-partition chunk
 * topic; `datafile-stream reproduce` with the SHA fixture (each result `<path> <sha512>`) is
 * SIGKILLed at the crash points of lib/faults/crash-point.ts (after a result was computed or
 * acknowledged, in processing, right after a commit, after the registry flush), restarted, then
 * run to the end. A reader with read_committed (kafkajs `readUncommitted: false`) then counts
 * each file's result: lost and duplicated.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bytes, chunksOf, createTopic, produce, recordOf, sha512Hex, uniqueName, assertCommittedToEnd } from './consumer-support.js';
import { CHILD_ENV, ROOT, Scope } from '../interop/helpers.js';
import { createKafka } from '../../lib/kafka/kafka-client.js';

const CHUNK = 4096;
export const N = 60;
export const FILES = new Map(Array.from({ length: N }, (_, i) => [`d${i % 3}/file_${String(i).padStart(3, '0')}.bin`, bytes(CHUNK * (1 + (i % 4)) + 100 + i, 100 + i)]));
export const SHA_REPRODUCER = join(ROOT, 'test/integration/fixtures/sha-reproducer.ts');
const KILLS = ['after-processing:4', 'in-processing:3', 'after-commit:2', 'after-registry:1'];

/** Every record of the topic a read_committed reader sees (waits until `atLeast` came, then for quiet). */
export async function readCommitted(topic: string, atLeast: number): Promise<Array<{ key: string; value: string }>> {
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

/** The key and value OpenMSIStream's layout gives each file's result from the SHA fixture. */
export function expectedResults(): Map<string, string> {
  return new Map([...FILES].map(([path, data]) => {
    const parts = path.split('/');
    const name = parts.pop()!;
    return [`${parts.join('_')}_${name}_chunk_processing_result`, `${path} ${sha512Hex(data)}`];
  }));
}

/** Results the reader saw against the expected ones: wrong values fail here; lost and duplicates are counted. */
export function countResults(seen: Array<{ key: string; value: string }>): { lost: number; duplicates: number } {
  const expected = expectedResults();
  for (const r of seen) assert.equal(r.value, expected.get(r.key), `result of ${r.key}`);
  const keys = new Set(seen.map((r) => r.key));
  return { lost: [...expected.keys()].filter((k) => !keys.has(k)).length, duplicates: seen.length - keys.size };
}

/** A chunk topic holding FILES and an empty 2-partition result topic. */
export async function reproducerTopics(label: string): Promise<{ topic: string; results: string }> {
  const topic = uniqueName(label);
  const results = uniqueName(`${label}-results`);
  await createTopic(topic, 3);
  await createTopic(results, 2);
  await produce(topic, [...FILES].flatMap(([path, data]) => chunksOf(path, data, CHUNK).map((c, i) => recordOf(c, (i + path.length) % 3))));
  return { topic, results };
}

export async function killAndRestart(t: TestContext, atLeastOnce: boolean, env: NodeJS.ProcessEnv = CHILD_ENV): Promise<{ lost: number; duplicates: number; kills: number }> {
  const scope = new Scope(t);
  const { topic, results } = await reproducerTopics('repro-crash');
  const out = await scope.tempDir('repro-crash');
  const group = uniqueName('repro-crash-g');
  const args = ['reproduce', SHA_REPRODUCER, '--config', 'local', '--topic_name', topic, '--producer_topic_name', results, '--consumer_group_id', group, '--output_dir', out, '--until_idle', '2', '--logger_stream_level', 'warning', ...(atLeastOnce ? ['--at_least_once'] : [])];
  let kills = 0;
  for (const point of KILLS) {
    const run = scope.ours(args, { ...env, DATAFILE_STREAM_CRASH_AT: point });
    const code = await run.waitExit(120_000);
    if (code === 0) break; // finished before reaching the point: nothing left to kill
    assert.equal(code, null, `the run with DATAFILE_STREAM_CRASH_AT=${point} ended with ${code}; output:\n${run.tail()}`);
    assert.match(run.output, /killed by SIGKILL/);
    kills++;
  }
  assert.ok(kills >= 3, `only ${kills} runs were killed mid-run`);
  await scope.ours(args, env).succeeds(120_000);
  await assertCommittedToEnd(topic, group);
  return { ...countResults(await readCommitted(results, N)), kills };
}
