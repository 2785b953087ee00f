/**
 * FilePartitioner: every chunk key of one file maps to one partition (the key up to `_chunk_`
 * is what is hashed), files spread over partitions, and the choice is kafkajs's Java-compatible
 * murmur2 of that prefix, so other clients can compute it too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { chunkKey } from '../../lib/codec/chunk-codec.js';
import { FilePartitioner } from '../../lib/producer/file-partitioner.js';

function metadata(n: number): PartitionMetadata[] {
  return Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
}

test('all chunks of a file go to one partition, for several partition counts', () => {
  for (const partitions of [1, 2, 3, 7, 12]) {
    const choose = FilePartitioner();
    for (const [subdirStr, filename] of [
      ['', 'x.dat'],
      ['a/b', 'x.dat'],
      ['ünï/日本', 'spaced name_chunk_7.bin'],
    ] as const) {
      const nTotalChunks = 40;
      const chosen = new Set<number>();
      for (let chunkI = 1; chunkI <= nTotalChunks; chunkI++) {
        const key = chunkKey({ subdirStr, filename, chunkI, nTotalChunks });
        chosen.add(choose({ topic: 't', partitionMetadata: metadata(partitions), message: { key, value: Buffer.alloc(1) } }));
      }
      assert.equal(chosen.size, 1, `${subdirStr}/${filename} over ${partitions} partitions: ${[...chosen].join(',')}`);
      const [partition] = chosen;
      assert.ok(partition! >= 0 && partition! < partitions);
    }
  }
});

test('files spread over the partitions, by murmur2 of the file part of the key', () => {
  const choose = FilePartitioner();
  const reference = Partitioners.DefaultPartitioner();
  const seen = new Set<number>();
  for (let i = 0; i < 60; i++) {
    const key = chunkKey({ subdirStr: 'run', filename: `file-${i}.dat`, chunkI: 3, nTotalChunks: 9 });
    const partition = choose({ topic: 't', partitionMetadata: metadata(3), message: { key, value: null } });
    const expected = reference({ topic: 't', partitionMetadata: metadata(3), message: { key: `run_file-${i}.dat`, value: null } });
    assert.equal(partition, expected);
    seen.add(partition);
  }
  assert.equal(seen.size, 3, 'sixty files use every one of three partitions');
});
