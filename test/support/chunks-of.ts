/**
 * A file's bytes cut into wire chunks exactly as an uploader cuts them, each chunk encoded and
 * decoded by the codec, so a test sees what KafkaSource would hand the stages.
 */
import { decodeChunk, encodeChunk } from '../../lib/codec/chunk-codec.js';
import { sha512 } from '../../lib/codec/chunk-hash.js';
import type { DataFileChunk } from '../../lib/types.js';

export interface ChunkSpec {
  subdir?: string;
  filename?: string;
  append?: string;
  mtime?: number | null;
  chunkSize?: number;
  /** Claimed file hash (default: the real SHA-512 of the content). */
  fileHash?: Buffer;
}

export function chunksOf(content: Buffer, spec: ChunkSpec = {}): DataFileChunk[] {
  const chunkSize = spec.chunkSize ?? 1000;
  const fileHash = spec.fileHash ?? sha512(content);
  const n = Math.max(1, Math.ceil(content.length / chunkSize));
  return Array.from({ length: n }, (_, k) => {
    const data = Buffer.from(content.subarray(k * chunkSize, (k + 1) * chunkSize));
    const chunk: DataFileChunk = {
      filename: spec.filename ?? 'x.dat',
      fileHash,
      chunkHash: sha512(data),
      chunkOffsetWrite: k * chunkSize,
      chunkI: k + 1,
      nTotalChunks: n,
      subdirStr: spec.subdir ?? '',
      filenameAppend: spec.append ?? '',
      data,
      fileMtime: spec.mtime === undefined ? 1_700_000_000 : spec.mtime,
    };
    return decodeChunk(encodeChunk(chunk));
  });
}
