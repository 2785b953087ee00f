/**
 * How each program under measurement is started, and which output line says "one more file done".
 *
 * In: the bench context (repository root, config path, topic) and a corpus. Out: `ProgramSpec`s
 * (command, arguments, cwd, how it stops, the line that marks a finished file) for
 * - ours, from the built CLI (dist/, rebuilt by the benchmark unless --no-build):
 *   `upload-directory`, `upload-file`, `download-directory` (disk mode) and `process` with the
 *   no-op processor in memory mode;
 * - OpenMSIStream 1.8.8 from .venv/: DataFileUploadDirectory, UploadDataFile,
 *   DataFileDownloadDirectory;
 * - the ceilings: bench/raw-consume.mjs (plain kafkajs) and bench/hash-ceiling.mjs (SHA-512).
 * Both toolkits read the same file: OpenMSIStream's shipped local_broker_test.config (LZ4,
 * batch.size 2000000, linger.ms 100, fetch.min.bytes 100000) with default chunk size and threads.
 * Consumers are timed from outside, by their group's committed offsets (bench/group-clock.ts),
 * so every consumer gets the same terms: `--consumer_group_id` (a flag both toolkits take, so
 * the bench knows the group) and nothing else beyond the config file; no debug logging, no
 * flag one side lacks.
 */
import { join } from 'node:path';

export interface BenchContext {
  root: string;
  config: string;
  env: NodeJS.ProcessEnv;
  chunkSize: number;
}

export interface ProgramSpec {
  label: string;
  command: string;
  args: string[];
  cwd?: string;
}

export const BOOTSTRAP = '127.0.0.1:9092';

export function benchContext(root: string): BenchContext {
  return {
    root,
    config: join(root, 'fixtures/openmsistream-configs/local_broker_test.config'),
    env: { ...process.env, LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS: BOOTSTRAP, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
    chunkSize: 524288,
  };
}

function ours(ctx: BenchContext, label: string, args: string[]): ProgramSpec {
  return { label, command: process.execPath, args: [join(ctx.root, 'dist/bin/datafile-stream.js'), ...args] };
}

function openmsistream(ctx: BenchContext, label: string, program: string, args: string[]): ProgramSpec {
  return { label, command: join(ctx.root, '.venv/bin', program), args };
}

export const programs = {
  oursUploadDirectory: (ctx: BenchContext, dir: string, topic: string): ProgramSpec =>
    ours(ctx, 'ours upload-directory', ['upload-directory', dir, '--config', ctx.config, '--topic_name', topic, '--upload_existing']),

  oursUploadFile: (ctx: BenchContext, path: string, topic: string): ProgramSpec =>
    ours(ctx, 'ours upload-file', ['upload-file', path, '--config', ctx.config, '--topic_name', topic]),

  openmsistreamUploadDirectory: (ctx: BenchContext, dir: string, topic: string): ProgramSpec =>
    openmsistream(ctx, 'OpenMSIStream DataFileUploadDirectory', 'DataFileUploadDirectory', [dir, '--config', ctx.config, '--topic_name', topic, '--upload_existing']),

  openmsistreamUploadFile: (ctx: BenchContext, path: string, topic: string, cwd: string): ProgramSpec => ({
    ...openmsistream(ctx, 'OpenMSIStream UploadDataFile', 'UploadDataFile', [path, '--config', ctx.config, '--topic_name', topic]),
    cwd,
  }),

  oursDisk: (ctx: BenchContext, out: string, topic: string, group: string): ProgramSpec =>
    ours(ctx, 'ours download-directory (disk)', ['download-directory', out, '--config', ctx.config, '--topic_name', topic, '--consumer_group_id', group]),

  oursMemory: (ctx: BenchContext, out: string, topic: string, group: string, memoryBudgetMiB: number): ProgramSpec =>
    ours(ctx, 'ours process, no-op (memory)', [
      'process',
      join(ctx.root, 'bench/noop-processor.mjs'),
      '--mode',
      'memory',
      '--memory_budget',
      String(memoryBudgetMiB),
      '--output_dir',
      out,
      '--config',
      ctx.config,
      '--topic_name',
      topic,
      '--consumer_group_id',
      group,
    ]),

  openmsistreamDownload: (ctx: BenchContext, out: string, topic: string, group: string, cwd: string): ProgramSpec => ({
    ...openmsistream(ctx, 'OpenMSIStream DataFileDownloadDirectory', 'DataFileDownloadDirectory', [out, '--config', ctx.config, '--topic_name', topic, '--consumer_group_id', group]),
    cwd,
  }),

  rawConsume: (ctx: BenchContext, topic: string, group: string): ProgramSpec => ({
    label: `raw consume + commit on ${ctx.env.DATAFILE_STREAM_KAFKA_ENGINE ?? 'kafkajs'} (no processing)`,
    command: process.execPath,
    args: [join(ctx.root, 'bench/raw-consume.mjs'), ctx.config, topic, group],
  }),

  rawProduce: (ctx: BenchContext, path: string, topic: string): ProgramSpec => ({
    label: `raw produce on ${ctx.env.DATAFILE_STREAM_KAFKA_ENGINE ?? 'kafkajs'} (one read, no hashing)`,
    command: process.execPath,
    args: [join(ctx.root, 'bench/raw-produce.mjs'), ctx.config, topic, path, String(ctx.chunkSize)],
  }),

  hashCeiling: (ctx: BenchContext, dir: string): ProgramSpec => ({
    label: 'SHA-512 x2, one core (ceiling)',
    command: process.execPath,
    args: [join(ctx.root, 'bench/hash-ceiling.mjs'), dir, String(ctx.chunkSize)],
  }),
};
