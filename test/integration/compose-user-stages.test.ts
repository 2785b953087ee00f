// An app's own stages between the sink and processing: whatever they filter, fail or drop settles,
// so every record is committed at the end and the registry says what happened to each file.
// Real broker; the pipeline is composed with createConsumerPipeline and run with pipeline().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from 'node:stream/promises';
import chain from 'stream-chain';
import { createConsumerPipeline } from '../../lib/pipeline/create-consumer-pipeline.js';
import { fileStage, type UserStage } from '../../lib/pipeline/user-stages.js';
import type { ReadyFile } from '../../lib/pipeline-events.js';
import { FileRegistry } from '../../lib/registry/file-registry.js';
import { tempDir } from '../support/temp-dir.js';
import { assertCommittedToEnd, bytes, chunksOf, createTopic, produce, recordOf, silent, uniqueName } from './consumer-support.js';

const FILES = 12;

interface Run {
  processed: string[];
  registry: { processed: string[]; statuses: Map<string, string> };
}

async function runWith(t: { after: (fn: () => Promise<void>) => void }, stages: UserStage[]): Promise<Run & { topic: string; group: string; names: string[] }> {
  const topic = uniqueName('compose');
  await createTopic(topic, 2);
  const names = Array.from({ length: FILES }, (_, i) => `app/f${String(i).padStart(2, '0')}.dat`);
  await produce(topic, names.flatMap((name, i) => chunksOf(name, bytes(2500, i + 1), 1024).map((c) => recordOf(c, i % 2))));
  const out = await tempDir(t, 'compose-');
  const group = uniqueName('g');
  const processed: string[] = [];
  const p = await createConsumerPipeline({
    config: 'local', topic, groupId: group, outputDir: out, mode: 'memory', logger: silent, commitIntervalMs: 200, untilIdle: 1,
    stages, process: async (file) => void processed.push(file.relativeFilepath),
  });
  await pipeline(p.stages);
  const registry = await FileRegistry.open({ dir: out, topic, group });
  const statuses = new Map(registry.inProgressFiles().map((e) => [e.relativeFilepath, e.status]));
  const inRegistry = names.filter((n) => registry.isProcessed(n, hashOf(n, names)));
  await registry.close();
  return { topic, group, names, processed, registry: { processed: inRegistry, statuses } };
}

const contents = new Map<string, Buffer>();
function hashOf(name: string, names: string[]): Buffer {
  const i = names.indexOf(name);
  if (!contents.has(name)) contents.set(name, bytes(2500, i + 1));
  return chunksOf(name, contents.get(name)!, 1024)[0]!.fileHash;
}

const even = (f: ReadyFile): boolean => Number(/f(\d+)/.exec(f.ref.relativePath)![1]) % 2 === 0;

test('a function stage that filters half the files: the rest are skipped, recorded, and committed', async (t) => {
  const r = await runWith(t, [(f: ReadyFile) => (even(f) ? f : undefined)]);
  const kept = r.names.filter((_, i) => i % 2 === 0);
  const dropped = r.names.filter((_, i) => i % 2 === 1);
  assert.deepEqual([...r.processed].sort(), kept);
  assert.deepEqual(r.registry.processed, kept);
  for (const name of dropped) assert.equal(r.registry.statuses.get(name), 'skipped', name);
  await assertCommittedToEnd(r.topic, r.group);
});

test('a function stage (in a stream-chain chain) that throws on some files: those are failed, recorded, and committed', async (t) => {
  const r = await runWith(t, [
    chain([
      fileStage(async (f) => {
        if (!even(f)) throw new Error(`refused ${f.ref.relativePath}`);
        return f;
      }),
    ]) as unknown as UserStage,
  ]);
  const kept = r.names.filter((_, i) => i % 2 === 0);
  assert.deepEqual([...r.processed].sort(), kept);
  assert.deepEqual(r.registry.processed, kept);
  for (const name of r.names.filter((_, i) => i % 2 === 1)) assert.equal(r.registry.statuses.get(name), 'failed', name);
  await assertCommittedToEnd(r.topic, r.group);
});

test('an async generator stage that drops every third file: the gate settles them as skipped, all is committed', async (t) => {
  const r = await runWith(t, [
    async function* (files: AsyncIterable<ReadyFile>) {
      for await (const f of files) {
        if (Number(/f(\d+)/.exec(f.ref.relativePath)![1]) % 3 !== 0) yield f;
      }
    },
  ]);
  const kept = r.names.filter((_, i) => i % 3 !== 0);
  assert.deepEqual([...r.processed].sort(), kept);
  assert.deepEqual(r.registry.processed, kept);
  for (const name of r.names.filter((_, i) => i % 3 === 0)) assert.equal(r.registry.statuses.get(name), 'skipped', name);
  await assertCommittedToEnd(r.topic, r.group);
});
