/**
 * datafile-stream: stream whole data files through Apache Kafka, wire-compatible with
 * OpenMSIStream. The public API, in the order a record travels.
 *
 * This entry stays light: importing it loads kafkajs, pino and the codec, never the AWS SDK or
 * the local broker's tooling. Those live behind subpath entries: `datafile-stream/s3`
 * (index-s3.ts: S3TransferStreamProcessor) and `datafile-stream/broker` (index-broker.ts:
 * startBroker, stopBroker, brokerStatus). test/package/lean-entry.test.ts keeps it so.
 */

// Wire format
export { encodeChunk, decodeChunk, chunkKey, fileKeyPrefix, type EncodeOptions, type DecodeOptions } from './codec/chunk-codec.js';
export { sha512, EMPTY_SHA512 } from './codec/chunk-hash.js';
export type { DataFileChunk, ChunkRecord, RecordPosition } from './types.js';
export * from './errors.js';

// Producing
export { uploadFile, type UploadFileOptions, type UploadFileResult } from './producer/upload-file.js';
export { DirectoryUploader, type DirectoryUploaderOptions } from './producer/upload-directory.js';
export { ChunkProducer, type ChunkProducerOptions } from './producer/chunk-producer.js';
export { FilePartitioner } from './producer/file-partitioner.js';
export { digestFile, readChunks } from './producer/file-chunker.js';

// Consuming: the stages, composable with stream.pipeline
export { KafkaSource, type KafkaSourceOptions } from './source/kafka-source.js';
export { ChunkAssembler, type ChunkAssemblerOptions } from './assembler/chunk-assembler.js';
export { AssemblyTable } from './assembler/assembly-table.js';
export { DiskSink, type DiskSinkOptions } from './sinks/disk-sink.js';
export { MemoryBuffer, type MemoryBufferOptions } from './sinks/memory-buffer.js';
export { ProcessTransform, type ProcessTransformOptions, type ProcessFn } from './processing/process-transform.js';
export { OffsetCommitter, type OffsetCommitterOptions } from './offsets/offset-committer.js';
export { OffsetTracker } from './offsets/offset-tracker.js';
export type { SourceItem, AssemblyEvent, SinkEvent, Settlement, FileRef } from './pipeline-events.js';
export { runConsumer, type ConsumerRunOptions, type ConsumerSummary } from './programs/run-consumer.js';
export { createConsumerPipeline, type ConsumerPipeline } from './pipeline/create-consumer-pipeline.js';
export { CREATE_NEW, type ConsumerPipelineOptions } from './pipeline/consumer-pipeline-options.js';
export { fileStage, FileStageGate, type UserStage, type FileStageFn, type FileStageGenerator } from './pipeline/user-stages.js';
export type { ReadyFile } from './pipeline-events.js';

// Processing
export { DataFileStreamProcessor, type ProcessorOptions } from './programs/data-file-stream-processor.js';
export { DownloadDataFile, type ConsumerMode } from './download-data-file.js';
export { createLock, type Lock } from './processing/lock.js';
export { DataFileDownloadDirectory } from './programs/data-file-download-directory.js';
export { DataFileStreamReproducer, REPRODUCER_STATUS, type ReproducerOptions, type ResultMessageValue } from './programs/data-file-stream-reproducer.js';
export { MetadataJSONReproducer } from './programs/metadata-json-reproducer.js';
export { processingResultKey } from './codec/processing-result-key.js';
export { pythonJsonDumps } from './codec/python-json.js';
export { Runnable, ArgumentParser, type ArgumentDef } from './programs/runnable.js';

// Registry, config, Kafka
export { FileRegistry } from './registry/file-registry.js';
export { UploadRegistry } from './registry/upload-registry.js';
export { loadConfig, resolveConfigPath } from './config/config-file.js';
export { kafkaClientOptions, producerOptions, consumerOptions, s3Options } from './config/kafka-options.js';
export { createKafka, type CreateKafkaOptions } from './kafka/kafka-client.js';
export { applyKafkajsSpeedPatches, PATCHED_KAFKAJS_VERSION, type SpeedPatchResult } from './kafka/kafkajs-speed-patches.js';
export { registerCodecs } from './kafka/compression.js';
export { createLogger } from './log/create-logger.js';
