// Golden values written by the real OpenMSIStream (scripts/make-golden-fixtures.py): decoding
// gives the manifest's fields, encoding the fields gives the same bytes, and our chunker turns the
// same source files into the same records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chunkKey, decodeChunk, encodeChunk } from '../../lib/codec/chunk-codec.js';
import { digestFile, readChunks } from '../../lib/producer/file-chunker.js';

const root = new URL('../../fixtures/golden/', import.meta.url);
interface ManifestChunk {
  file_id: string; rel_filepath: string; subdir_str: string; filename: string; filename_append: string;
  chunk_i: number; n_total_chunks: number; chunk_offset_write: number; file_sha512: string; chunk_sha512: string;
  file_mtime_on_wire: number; value_file: string; key: string; legacy_value_file?: string;
}
interface ManifestFile { id: string; rel_filepath: string; size: number; file_sha512: string; file_mtime: number | null; filename_append: string }
const manifest = JSON.parse(readFileSync(new URL('manifest.json', root), 'utf8')) as {
  chunk_size: number; files: ManifestFile[]; chunks: ManifestChunk[]; extra: Array<ManifestChunk & { file_mtime: number }>;
};
const read = (name: string): Buffer => readFileSync(new URL(name, root));

test('golden fixtures are present', () => {
  assert.ok(manifest.chunks.length >= 20, `only ${manifest.chunks.length} chunks`);
});

test('every OpenMSIStream value decodes to the manifest fields and its key', () => {
  for (const m of manifest.chunks) {
    const chunk = decodeChunk(read(m.value_file));
    assert.equal(chunk.filename, m.filename);
    assert.equal(chunk.subdirStr, m.subdir_str);
    assert.equal(chunk.filenameAppend, m.filename_append);
    assert.equal(chunk.chunkI, m.chunk_i);
    assert.equal(chunk.nTotalChunks, m.n_total_chunks);
    assert.equal(chunk.chunkOffsetWrite, m.chunk_offset_write);
    assert.equal(chunk.fileHash.toString('hex'), m.file_sha512);
    assert.equal(chunk.chunkHash.toString('hex'), m.chunk_sha512);
    assert.equal(chunk.fileMtime, m.file_mtime_on_wire > 0 ? m.file_mtime_on_wire : null);
    assert.equal(chunkKey(chunk), m.key, m.value_file);
    assert.equal(read(m.value_file.replace(/\.bin$/, '.key')).toString('utf8'), m.key);
  }
});

test('encoding the decoded fields reproduces the bytes, 10-field and legacy 9-field', () => {
  let legacyChecked = 0;
  for (const m of [...manifest.chunks, ...manifest.extra]) {
    const value = read(m.value_file);
    const chunk = decodeChunk(value);
    assert.ok(encodeChunk(chunk).equals(value), `${m.value_file} differs`);
    if (m.legacy_value_file) {
      assert.ok(encodeChunk(chunk, { legacy: true }).equals(read(m.legacy_value_file)), `${m.legacy_value_file} differs`);
      legacyChecked++;
    }
  }
  assert.ok(legacyChecked > 0);
});

test('our chunker sends the same records as OpenMSIStream for the same files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'golden-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let compared = 0;
  for (const file of manifest.files) {
    const source = new URL(`files/${file.rel_filepath}`, root);
    const path = join(dir, file.rel_filepath);
    await mkdir(dirname(path), { recursive: true });
    await copyFile(source, path);
    await utimes(path, 1700000000, 1700000000);
    const digest = await digestFile(path, manifest.chunk_size);
    assert.equal(digest.fileHash.toString('hex'), file.file_sha512, file.rel_filepath);
    const parts = file.rel_filepath.split('/');
    const filename = parts.pop()!;
    const expected = manifest.chunks.filter((c) => c.file_id === file.id);
    const ours = [];
    for await (const chunk of readChunks(path, digest, { filename, subdirStr: parts.join('/'), filenameAppend: file.filename_append })) {
      ours.push(chunk);
    }
    if (expected.length === 0) {
      // OpenMSIStream sends nothing for an empty file; we send one empty chunk, which it accepts.
      const empty = manifest.extra.find((e) => e.rel_filepath === file.rel_filepath)!;
      assert.equal(ours.length, 1);
      assert.ok(encodeChunk(ours[0]!).equals(read(empty.value_file)));
      assert.equal(chunkKey(ours[0]!), empty.key);
      compared++;
      continue;
    }
    assert.equal(ours.length, expected.length, file.rel_filepath);
    for (const [i, chunk] of ours.entries()) {
      const m = expected[i]!;
      chunk.fileMtime = m.file_mtime_on_wire > 0 ? m.file_mtime_on_wire : null; // git keeps no mtimes
      assert.ok(encodeChunk(chunk).equals(read(m.value_file)), `${m.value_file} differs`);
      assert.equal(chunkKey(chunk), m.key);
      compared++;
    }
  }
  assert.equal(compared, manifest.chunks.length + 1);
});
