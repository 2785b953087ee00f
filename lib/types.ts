/**
 * Shared data shapes. A DataFileChunk is one Kafka record of the OpenMSIStream wire format
 * (SPEC §2), decoded; a ChunkRecord is that chunk plus where it was read from.
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
