/**
 * What flows between the consumer stages (SPEC §1):
 *
 *   KafkaSource --SourceItem--> ChunkAssembler --AssemblyEvent--> DiskSink | MemoryBuffer
 *     --SinkEvent--> ProcessTransform --Settlement--> OffsetCommitter
 *
 * Every record the source observed reaches the committer exactly once inside some `positions`
 * list, however its story ends (file processed, failed for good, rejected, skipped), so the
 * committer can move each partition's watermark past it.
 */
import type { DataFileStreamError } from './errors.js';
import type { ChunkRecord, DataFileChunk, FileIdentity, RecordPosition } from './types.js';
import type { DownloadDataFile } from './download-data-file.js';

/**
 * What the source tells the offset tracker (lib/offsets/offset-tracker.ts) as it reads: every
 * record's position in order, a seek (reset), a partition lost to a rebalance (forget). Declared
 * here so the first stage needs no later stage's folder.
 */
export interface ReadPositions {
  observe(topic: string, partition: number, offset: string): unknown;
  reset(topic: string, partition: number, fromOffset: string): void;
  forget(topic: string, partition: number): void;
}

/** One record as read: a decoded chunk, or a value that is not one. */
export type SourceItem =
  | { kind: 'chunk'; record: ChunkRecord }
  | { kind: 'bad'; position: RecordPosition; error: DataFileStreamError; key: string | null };

/**
 * A file in flight: its identity (lib/types.ts) and, beside it, what the assembler adds: the
 * generation that tells two generations of one path apart in the sinks, and when it was first seen.
 */
export interface FileRef extends FileIdentity {
  generation: number;
  firstSeenAt: Date;
}

export type Outcome =
  | 'processed'
  | 'already_processed'
  | 'failed'
  | 'mismatched_hash'
  | 'rejected'
  | 'skipped'
  | 'superseded'
  | 'staged';

export interface Settlement {
  kind: 'settle';
  positions: RecordPosition[];
  outcome: Outcome;
  file?: FileRef;
  error?: DataFileStreamError | Error;
}

export type AssemblyEvent =
  /** A new chunk for the sink to store; `restored` chunks are already in staging (journal). */
  | { kind: 'chunk'; file: FileRef; chunk: DataFileChunk; position: RecordPosition; restored?: boolean }
  /**
   * Another record for a chunk the file already has: the sink may release it once durable. Its
   * `chunk` lets a sink that verifies chunks by their file's hash check the copy against the bytes held.
   */
  | { kind: 'duplicate'; file: FileRef; chunkOffset: number; position: RecordPosition; chunk?: DataFileChunk }
  | { kind: 'complete'; file: FileRef; positions: RecordPosition[] }
  | { kind: 'drop'; file: FileRef; positions: RecordPosition[]; outcome: Outcome; error?: DataFileStreamError }
  | Settlement;

/** A verified file ready for processing; `release()` gives its memory back once processed. */
export interface ReadyFile {
  kind: 'file';
  ref: FileRef;
  file: DownloadDataFile;
  positions: RecordPosition[];
  release: () => void;
  /**
   * Some of the file's records were already settled as `staged` (its chunks were durable in the
   * staging journal, here or in an earlier run). The sink keeps such a file in staging and in the
   * journal until it settles (processed, or failed and recorded), so a crash before that finds it
   * at the next start; a stop processes it rather than leave it (the next run would have to
   * rebuild it from the journal).
   */
  journaled?: boolean;
}

export type SinkEvent = ReadyFile | Settlement;

export interface JournalChunk {
  offset: number;
  length: number;
  chunkI: number;
  position: RecordPosition;
  /** The chunk's chunk_hash, so a file whose hash fails after a restart can still be checked chunk by chunk. */
  chunkHash?: Buffer;
}

/** A partial file the staging journal (lib/sinks/staging-journal.ts) restores after a restart: the assembler resumes it. */
export interface JournalFile {
  /** Its staging file's name in the staging directory. */
  staging: string;
  file: FileIdentity;
  chunks: JournalChunk[];
}
