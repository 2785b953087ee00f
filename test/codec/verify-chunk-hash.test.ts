import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { decodeChunk, encodeChunk, verifyChunkHash } from '../../lib/codec/chunk-codec.js';
import { sha512Async } from '../../lib/codec/chunk-hash.js';
import { isCodedError } from '../../lib/errors.js';

function chunkOf(data: Buffer, chunkHash = createHash('sha512').update(data).digest()) {
  return { filename: 'x.dat', fileHash: Buffer.alloc(64, 1), chunkHash, chunkOffsetWrite: 0, chunkI: 1, nTotalChunks: 1, subdirStr: '', filenameAppend: '', data, fileMtime: null };
}

test('sha512Async equals node:crypto for small (inline) and large (thread pool) inputs', async () => {
  for (const size of [0, 1, 65_535, 65_536, 600_000]) {
    const data = randomBytes(size);
    assert.ok((await sha512Async(data)).equals(createHash('sha512').update(data).digest()), String(size));
  }
});

test('verifyChunkHash accepts what decodeChunk accepts and rejects a wrong chunk_hash with the same code', async () => {
  for (const size of [100, 200_000]) {
    const good = decodeChunk(encodeChunk(chunkOf(randomBytes(size))), { verifyHash: false });
    assert.equal(await verifyChunkHash(good), good);
    const value = encodeChunk(chunkOf(randomBytes(size), Buffer.alloc(64, 7)));
    const sync = (() => {
      try {
        decodeChunk(value);
      } catch (err) {
        return err;
      }
    })();
    const asyncErr = await verifyChunkHash(decodeChunk(value, { verifyHash: false })).then(() => undefined, (err: unknown) => err);
    assert.ok(isCodedError(sync) && isCodedError(asyncErr));
    assert.equal(asyncErr.code, 'ERR_CHUNK_HASH_MISMATCH');
    assert.equal(asyncErr.code, sync.code);
    assert.equal(asyncErr.message, sync.message);
  }
});
