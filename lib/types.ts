/**
 * Shared data shapes. A DataFileChunk is one Kafka record of the OpenMSIStream wire format
 * (SPEC §2), decoded; a ChunkRecord is that chunk plus where it was read from; a FileIdentity is
 * which file a chunk belongs to, declared once for every stage (and its JSON form, converted
 * through one pair of functions).
 */

export interface DataFileChunk {
  /** Base name only, UTF-8. */
  filename: string;
  /** Raw SHA-512 digest (64 bytes) of every byte of the whole file. */
  fileHash: Buffer;
  /** Raw SHA-512 digest (64 bytes) of `data`. */
  chunkHash: Buffer;
  /** Byte offset of this chunk in the reconstructed file. */
  chunkOffsetWrite: number;
  /** 1-based index of this chunk. */
  chunkI: number;
  /** Number of chunks of the whole file. */
  nTotalChunks: number;
  /** Directory relative to the upload root, `/` separators, `""` at the root. */
  subdirStr: string;
  /** Inserted between stem and last suffix on reconstruction; `""` by default. */
  filenameAppend: string;
  /** The chunk bytes. */
  data: Buffer;
  /** File mtime in epoch seconds, or null when unknown (encoded as 0.0). */
  fileMtime: number | null;
}

/** Where a record came from in Kafka. Offsets are strings, as kafkajs gives them. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** A decoded chunk and the position of the record that carried it. */
export interface ChunkRecord extends RecordPosition {
  chunk: DataFileChunk;
  /** Size of the record value in bytes (for budgets and throughput). */
  valueBytes: number;
}

/**
 * The one identity of a file in the pipeline: which upload a chunk, a journaled partial file, a
 * file handed to processing or a kept failed file belongs to. What is not identity (the
 * assembler's generation, when it was first seen, its size, its bytes) travels beside it.
 */
export interface FileIdentity {
  /** Relative path of the upload (`subdir_str/filename`, without `filename_append`): one open generation per key. */
  key: string;
  /** Relative path of the reconstructed file: `/` separators, `filename_append` applied. */
  relativePath: string;
  subdirStr: string;
  /** The uploaded base name, as on the wire. */
  filename: string;
  filenameAppend: string;
  /** Raw SHA-512 digest (64 bytes) of the whole file. */
  fileHash: Buffer;
  nTotalChunks: number;
  /** Epoch seconds, or null when unknown. */
  fileMtime: number | null;
}

/** A FileIdentity as JSON stores it (the hash in hex): the failed-files records, the journal's file lines. */
export interface StoredFileIdentity {
  key: string;
  relativePath: string;
  subdirStr: string;
  filename: string;
  filenameAppend: string;
  fileHashHex: string;
  nTotalChunks: number;
  fileMtime: number | null;
}

/** Only the identity of a value that carries more (a FileRef, the assembler's FileState). */
export function fileIdentity(of: FileIdentity): FileIdentity {
  const { key, relativePath, subdirStr, filename, filenameAppend, fileHash, nTotalChunks, fileMtime } = of;
  return { key, relativePath, subdirStr, filename, filenameAppend, fileHash, nTotalChunks, fileMtime };
}

export function storeFileIdentity(id: FileIdentity): StoredFileIdentity {
  const { key, relativePath, subdirStr, filename, filenameAppend, fileHash, nTotalChunks, fileMtime } = id;
  return { key, relativePath, subdirStr, filename, filenameAppend, fileHashHex: fileHash.toString('hex'), nTotalChunks, fileMtime };
}

export function restoreFileIdentity(stored: StoredFileIdentity): FileIdentity {
  const { key, relativePath, subdirStr, filename, filenameAppend, fileHashHex, nTotalChunks, fileMtime } = stored;
  return { key, relativePath, subdirStr, filename, filenameAppend, fileHash: Buffer.from(fileHashHex, 'hex'), nTotalChunks, fileMtime };
}
