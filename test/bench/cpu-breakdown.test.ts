import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpuBreakdown, partOf, threadOf } from '../../bench/cpu-breakdown.js';
import { tempDir } from '../support/temp-dir.js';

test('samples are sorted into parts by function and file; worker threads count as hashing', () => {
  assert.equal(partOf('(idle)', '', false), 'idle');
  assert.equal(partOf('(garbage collector)', '', true), 'gc');
  assert.equal(partOf('fetch', 'file:///x/node_modules/kafkajs/src/consumer/consumerGroup.js', false), 'client');
  assert.equal(partOf('decodeFrame', 'file:///x/dist/lib/kafka/lz4-frame.js', false), 'lz4');
  assert.equal(partOf('decodeChunk', 'file:///x/dist/lib/codec/chunk-codec.js', false), 'decode');
  assert.equal(partOf('writeBuffer', '', false), 'writes');
  assert.equal(partOf('postMessage', '', false), 'hashing');
  assert.equal(partOf('anything', 'node:internal/streams/readable', true), 'hashing');
  assert.equal(partOf('_transform', 'file:///x/dist/lib/assembler/chunk-assembler.js', false), 'other');
  assert.equal(threadOf('CPU.20261203.150850.10852.2.003.cpuprofile'), 2);
});

test('the measured CPU seconds are shared out in proportion to the non-idle samples of every thread', async (t) => {
  const dir = join(await tempDir(t, 'cpu-breakdown-'), 'prof');
  await mkdir(dir);
  const profile = (frames: Array<[string, string]>, deltas: number[]) => ({
    nodes: frames.map(([functionName, url], i) => ({ id: i + 1, callFrame: { functionName, url } })),
    samples: frames.map((_, i) => i + 1),
    timeDeltas: deltas,
  });
  // Main thread: 3 s client, 1 s GC, 5 s idle (left out). Worker: 4 s of anything (hashing).
  await writeFile(join(dir, 'CPU.1.2.3.0.001.cpuprofile'), JSON.stringify(profile([['fetch', 'node_modules/kafkajs/x.js'], ['(garbage collector)', ''], ['(idle)', '']], [3e6, 1e6, 5e6])));
  await writeFile(join(dir, 'CPU.1.2.3.1.002.cpuprofile'), JSON.stringify(profile([['update', 'node:internal/crypto/hash']], [4e6])));
  const b = await cpuBreakdown(dir, 16, 2 * 2 ** 30); // 16 CPU s over 2 GiB: 8 per GiB
  assert.equal(b.cpuSecondsPerGiB, 8);
  assert.equal(b.sampledSeconds, 8);
  assert.deepEqual(b.parts, { client: 3, lz4: 0, decode: 0, hashing: 4, writes: 0, gc: 1, other: 0 });
  // With SHA-512's own cost measured (2 s per GiB): the worker's samples are not read, the rest (6) goes by the main thread's shares.
  const measured = await cpuBreakdown(dir, 16, 2 * 2 ** 30, 2);
  assert.deepEqual(measured.parts, { client: 4.5, lz4: 0, decode: 0, hashing: 2, writes: 0, gc: 1.5, other: 0 });
  assert.equal(measured.hashingMeasured, true);
});
