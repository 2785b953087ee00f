/**
 * `npm run bench [-- options]`: this toolkit against OpenMSIStream on the same topics, the same
 * machine and the same config file, next to the machine's SHA-512 and raw-kafkajs ceilings.
 *
 * For each corpus (bench/corpora.ts; cached under bench/corpora/): our upload-directory sends it
 * to a fresh 3-partition topic (timed), OpenMSIStream's DataFileUploadDirectory sends it to
 * another (timed, then deleted); on corpus A our upload-file and OpenMSIStream's UploadDataFile
 * send one 512 MiB file each. Then, on our first upload's topic, each from offset 0 in a fresh
 * group: SHA-512 ceiling, raw kafkajs consume, our download-directory (disk), OpenMSIStream's
 * DataFileDownloadDirectory, our no-op processor (memory). Corpus T is big files that compress
 * (CSV readings, LZ4 about 2x), where the LZ4 codec's cost shows. Corpus C is the many-file rebuild.
 * Corpus X (one 2 GiB file) is uploaded and rebuilt in disk mode only, to show peak RSS does
 * not grow with file size. Every step runs once per round (--rounds).
 *
 * Runs are strictly one after another. Results: bench/results/<date>.json, <date>.md, latest.md,
 * latest.svg (a `--quick` run writes <date>-quick.* and leaves latest.* alone, and so does a run
 * of only some corpora: latest is a whole benchmark).
 *
 * Options:
 *   --quick               tiny corpora (a minute or two); what CI runs to prove the bench works
 *   --corpora A,T,B,X,C   only these corpora, in this order (default: all, C last)
 *   --skip-openmsistream  leave out OpenMSIStream (no Python needed)
 *   --no-build            use dist/ as it is (default: npm run build first)
 *   --no-verify           do not check rebuilt trees against the corpus manifest
 *   --memory-budget MiB   memory mode's --memory_budget (default 256, the program's default)
 *   --out DIR             where results go (default bench/results)
 *   --upload-cap SECONDS  stop a timed upload after this long and report its rate so far
 *                         (default 600; 120 with --quick); the consumers' topic is then filled
 *                         untimed by bench/seed-topic.ts
 *   --rounds N            run every measurement N times, the sides alternating (default 2);
 *                         each row reports the median and the spread (min-max)
 *   --keep-topics         leave the benchmark topics on the broker
 *   --engine NAME         the Kafka engine our programs run on: kafkajs (default) or librdkafka
 *                         (DATAFILE_STREAM_KAFKA_ENGINE in their environment; the same config
 *                         file, no extra flag); the results say which
 *
 * Timing is the same for both toolkits (bench/measure.ts): consumers, the raw kafkajs ceiling
 * included, from process start until their group's committed offsets reach the end of every
 * partition (admin API, polled by this process), and in steady state from the group's join or
 * first commit, whichever came first; uploaders until the topic's end offsets hold every chunk record. Each consumer gets
 * `--consumer_group_id` and the shared config file, nothing else: no debug logging on either side.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import minimist from 'minimist';
import type { Admin } from 'kafkajs';
import { createKafka } from '../lib/kafka/kafka-client.js';
import { createTopic } from '../lib/kafka/create-topic.js';
import { corpusSpecs, ensureCorpus, type Corpus } from './corpora.js';
import { combineAll } from './combine-runs.js';
import { measureConsumer, measureHashCeiling, measureUploader, recordCount, type Row, type RunTarget, type Subject } from './measure.js';
import { BOOTSTRAP, benchContext, programs, type BenchContext, type ProgramSpec } from './programs.js';
import { seedTopic } from './seed-topic.js';
import { cpuBreakdown, CPU_PARTS, type CpuBreakdown } from './cpu-breakdown.js';
import { computeRatios, computeTargets, renderMarkdown, renderSvg, type BenchResult } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Options {
  quick: boolean;
  corpora: string[];
  openmsistream: boolean;
  build: boolean;
  verify: boolean;
  memoryBudgetMiB: number;
  out: string;
  keepTopics: boolean;
  uploadCapMs: number;
  rounds: number;
  engine: 'kafkajs' | 'librdkafka';
}

function parseOptions(argv: string[]): Options {
  const a = minimist(argv, {
    boolean: ['quick', 'skip-openmsistream', 'build', 'verify', 'keep-topics', 'help'],
    string: ['corpora', 'out', 'memory-budget', 'upload-cap', 'rounds', 'engine'],
    default: { build: true, verify: true },
  });
  if (a.help) {
    const header = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!;
    process.stdout.write(`${header.replace(/^\/\*\*|^ \* ?/gm, '').trim()}\n`);
    process.exit(0);
  }
  const known = new Set(['_', 'quick', 'skip-openmsistream', 'build', 'verify', 'keep-topics', 'help', 'corpora', 'out', 'memory-budget', 'upload-cap', 'rounds', 'engine']);
  const unknown = Object.keys(a).find((k) => !known.has(k));
  if (unknown) throw new Error(`unknown option --${unknown} (see --help)`);
  const budget = Number(a['memory-budget'] ?? 256);
  if (!Number.isInteger(budget) || budget < 1) throw new Error(`--memory-budget must be a positive integer (MiB), got ${a['memory-budget']}`);
  const rounds = Number(a.rounds ?? 2);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${a.rounds}`);
  const engine = String(a.engine ?? 'kafkajs');
  if (engine !== 'kafkajs' && engine !== 'librdkafka') throw new Error(`--engine must be kafkajs or librdkafka, got ${engine}`);
  return {
    rounds,
    engine,
    quick: a.quick === true,
    // C (20,000 small files) takes longest: last, so the others are measured whatever happens to it.
    corpora: String(a.corpora ?? 'A,T,B,X,C').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean),
    openmsistream: a['skip-openmsistream'] !== true,
    build: a.build !== false,
    verify: a.verify !== false,
    memoryBudgetMiB: budget,
    out: resolve(String(a.out ?? join(ROOT, 'bench/results'))),
    keepTopics: a['keep-topics'] === true,
    uploadCapMs: positiveSeconds(a['upload-cap'] ?? (a.quick === true ? 120 : 600), 'upload-cap') * 1000,
  };
}

function positiveSeconds(value: unknown, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a number of seconds > 0, got ${value}`);
  return n;
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function run(command: string, args: string[], what: string): string {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', env: process.env });
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  return result.stdout ?? '';
}

/** Generous upper bounds: a run that takes longer is recorded as failed, never waited on forever. */
function timeoutFor(bytes: number, files: number): number {
  return 120_000 + (bytes / (1024 * 1024)) * 1000 + files * 100;
}

class Bench {
  readonly rows: Row[] = [];
  readonly topics: string[] = [];
  readonly runId = randomBytes(3).toString('hex');
  /** Where corpus A's rebuild spends its CPU (one profiled run), once measured. */
  breakdown: CpuBreakdown | undefined;

  constructor(
    readonly ctx: BenchContext,
    readonly options: Options,
    readonly admin: Admin,
    readonly work: string,
  ) {}

  async topic(corpus: string, role: string): Promise<string> {
    const name = `bench-${corpus}-${role}-${this.runId}`;
    await createTopic(this.admin, { topic: name, numPartitions: 3 });
    this.topics.push(name);
    return name;
  }

  /** Runs `fn` on a topic of its own, dropped afterwards. */
  async onNewTopic<T>(corpus: string, role: string, fn: (topic: string) => Promise<T>): Promise<T> {
    const topic = await this.topic(corpus, role);
    try {
      return await fn(topic);
    } finally {
      await this.dropTopic(topic);
    }
  }

  async dropTopic(name: string): Promise<void> {
    if (this.options.keepTopics) return;
    await this.admin.deleteTopics({ topics: [name] }).catch((err: unknown) => log(`could not delete topic ${name}: ${(err as Error).message}`));
    this.topics.splice(this.topics.indexOf(name), 1);
  }

  record(round: number, row: Row): Row {
    row.round = round;
    this.rows.push(row);
    const figures = row.ok
      ? `${row.mibPerSec} MiB/s, ${row.filesPerSec} files/s, ${row.seconds} s${row.steadySeconds !== undefined ? ` (steady ${row.steadySeconds} s)` : ''}, peak RSS ${row.peakRssMiB} MiB, CPU ${row.cpuSeconds} s${row.verified === null ? '' : row.verified ? ', verified' : ', NOT VERIFIED'}${row.partial ? `, capped at ${row.partial.records} of ${row.partial.of} records` : ''}`
      : `FAILED: ${row.error}`;
    log(`${row.corpus} round ${round} ${row.kind} ${row.label}: ${figures}`);
    return row;
  }

  target(corpus: Corpus, kind: RunTarget['kind'], subject: RunTarget['subject'], files = corpus.files): RunTarget {
    const bytes = files.reduce((s, f) => s + f.size, 0);
    return { corpus, kind, subject, files, timeoutMs: timeoutFor(bytes, files.length) };
  }

  chunks(files: Corpus['files']): number {
    return files.reduce((s, f) => s + Math.max(1, Math.ceil(f.size / this.ctx.chunkSize)), 0);
  }

  async outDir(label: string): Promise<string> {
    return mkdtemp(join(this.work, `${label}-`));
  }

  /**
   * Runs one of OpenMSIStream's programs, and once more if it fails: now and then one exits 1 at
   * start with no output (seen once in CI: DataFileUploadDirectory on the quick corpus A). The
   * row of the second run says why the first failed, with the tail of the program's log file.
   */
  async theirs(logFile: string, run: () => Promise<Row>): Promise<Row> {
    const first = await run();
    if (first.ok) return first;
    const logTail = (await readFile(logFile, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-10).join('\n');
    const why = `${first.error ?? 'failed'}${logTail ? `\nits log (${logFile}):\n${logTail}` : ''}`;
    log(`${first.label} failed; running it once more. ${why}`);
    const second = await run();
    second.retriedAfter = why;
    return second;
  }

  /**
   * Upload directories get LOGS/ from both toolkits, and OpenMSIStream's UploadDataFile writes its
   * log beside the file it sends; each upload starts from the corpus alone.
   */
  async cleanCorpus(corpus: Corpus): Promise<void> {
    await rm(join(corpus.dir, 'LOGS'), { recursive: true, force: true });
    await rm(join(corpus.dir, 'UploadDataFile.log'), { force: true });
  }

  /**
   * One corpus: the uploads, then the ceilings and consumers on the topic our first upload
   * filled, each measurement once per round, the sides alternating within a round (ours, then
   * OpenMSIStream's) so a drift of the machine over time does not favour one side.
   */
  async corpus(corpus: Corpus): Promise<void> {
    const name = corpus.spec.name;
    const records = this.chunks(corpus.files);
    log(`corpus ${name}: ${corpus.spec.description}, ${records} chunk records, ${this.options.rounds} rounds`);
    let topic = await this.topic(name, 'ours');
    for (let round = 1; round <= this.options.rounds; round++) await this.uploads(corpus, round, round === 1 ? topic : undefined);
    if ((await recordCount(this.admin, topic)) !== records) {
      await this.dropTopic(topic);
      topic = await this.topic(name, 'seed');
      log(`corpus ${name}: the timed upload did not fill the topic; filling ${topic} untimed (bench/seed-topic.ts)`);
      await seedTopic(this.ctx.config, topic, corpus, this.ctx.chunkSize);
      if ((await recordCount(this.admin, topic)) !== records) throw new Error(`seeding ${topic} did not produce ${records} records`);
    }
    for (let round = 1; round <= this.options.rounds; round++) await this.consumers(corpus, topic, round);
    if (name === 'A') await this.profiledRebuild(corpus, topic);
    await this.dropTopic(topic);
  }

  /** One round of uploads; ours goes to `keep` when given (the consumers' topic), else to a topic of its own. */
  async uploads(corpus: Corpus, round: number, keep?: string): Promise<void> {
    const { ctx } = this;
    const name = corpus.spec.name;
    const cap = this.options.uploadCapMs;
    const upload = (subject: Subject, files: Corpus['files'], spec: (topic: string) => ProgramSpec) => (topic: string) =>
      measureUploader(ctx, this.target(corpus, 'upload', subject, files), spec(topic), topic, this.admin, this.chunks(files), cap);
    await this.cleanCorpus(corpus);
    const oursDir = upload('ours-upload-directory', corpus.files, (t) => programs.oursUploadDirectory(ctx, corpus.dir, t));
    this.record(round, keep ? await oursDir(keep) : await this.onNewTopic(name, `ours-r${round}`, oursDir));
    await this.cleanCorpus(corpus);
    if (name !== 'X' && this.options.openmsistream) {
      const theirs = upload('openmsistream-upload-directory', corpus.files, (t) => programs.openmsistreamUploadDirectory(ctx, corpus.dir, t));
      this.record(round, await this.theirs(join(corpus.dir, 'LOGS', 'DataFileUploadDirectory.log'), () => this.onNewTopic(name, `oms-r${round}`, theirs)));
      await this.cleanCorpus(corpus);
    }
    if (name !== 'A') return;
    const one = corpus.files.slice(0, 1);
    const path = join(corpus.dir, one[0]!.relPath);
    this.record(round, await this.onNewTopic(name, `file-ours-r${round}`, upload('ours-upload-file', one, (t) => programs.oursUploadFile(ctx, path, t))));
    this.record(round, await this.onNewTopic(name, `file-raw-r${round}`, upload('raw-produce', one, (t) => programs.rawProduce(ctx, path, t))));
    if (this.options.openmsistream) {
      const cwd = await this.outDir('uploaddatafile');
      const theirs = upload('openmsistream-upload-file', one, (t) => programs.openmsistreamUploadFile(ctx, path, t, cwd));
      this.record(round, await this.theirs(join(corpus.dir, 'UploadDataFile.log'), () => this.onNewTopic(name, `file-oms-r${round}`, theirs)));
      await rm(cwd, { recursive: true, force: true });
      await this.cleanCorpus(corpus);
    }
  }

  /**
   * One more disk rebuild, untimed, under the CPU profiler: where its CPU seconds go, by part
   * (bench/cpu-breakdown.ts).
   */
  async profiledRebuild(corpus: Corpus, topic: string): Promise<void> {
    const dir = await this.outDir('cpu-prof');
    const out = await this.outDir(`${corpus.spec.name}-profiled`);
    const group = `bench-${this.runId}-${corpus.spec.name}-profiled`;
    const spec = programs.oursDisk(this.ctx, out, topic, group);
    spec.args.unshift('--cpu-prof', `--cpu-prof-dir=${dir}`);
    const row = await measureConsumer(this.ctx, this.target(corpus, 'consume', 'ours-disk'), spec, topic, this.admin, group);
    if (row.ok && row.cpuSeconds !== null) {
      // The disk rebuild hashes each byte once (its file hash); the ceiling row timed two passes.
      const ceiling = this.rows.filter((r) => r.corpus === corpus.spec.name && r.subject === 'hash-ceiling' && r.ok && r.cpuSeconds !== null).map((r) => r.cpuSeconds!);
      const onePass = ceiling.length > 0 ? Math.min(...ceiling) / 2 / (corpus.totalBytes / 2 ** 30) : undefined;
      this.breakdown = await cpuBreakdown(dir, row.cpuSeconds, corpus.totalBytes, onePass).catch((err: unknown) => {
        log(`CPU profile of the rebuild could not be read: ${(err as Error).message}`);
        return undefined;
      });
      if (this.breakdown) log(`${corpus.spec.name} profiled rebuild: ${this.breakdown.cpuSecondsPerGiB} CPU s/GiB: ${CPU_PARTS.map((p) => `${p} ${this.breakdown!.parts[p]}`).join(', ')}`);
    } else log(`profiled rebuild failed: ${row.error ?? 'no CPU figure'}`);
    await rm(dir, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  }

  /** A consumer group of its own for each run: every run reads the topic from offset 0. */
  group(corpus: string, subject: Subject, round: number): string {
    return `bench-${this.runId}-${corpus}-${subject}-r${round}`;
  }

  /** One round of ceilings and consumers on `topic`, each from offset 0 in a fresh group. */
  async consumers(corpus: Corpus, topic: string, round: number): Promise<void> {
    const { ctx } = this;
    const name = corpus.spec.name;
    const full = name !== 'X';
    const consume = async (subject: Subject, spec: (group: string) => ProgramSpec, verifyDir?: string, groupSuffix = ''): Promise<Row> => {
      const group = `${this.group(name, subject, round)}${groupSuffix}`;
      const kind = subject === 'kafkajs-raw' ? 'ceiling' : 'consume';
      return measureConsumer(ctx, this.target(corpus, kind, subject), spec(group), topic, this.admin, group, this.options.verify && verifyDir ? { verifyDir } : {});
    };
    if (full) {
      this.record(round, await measureHashCeiling(ctx, this.target(corpus, 'ceiling', 'hash-ceiling'), programs.hashCeiling(ctx, corpus.dir)));
      this.record(round, await consume('kafkajs-raw', (g) => programs.rawConsume(ctx, topic, g)));
    }
    const disk = await this.outDir(`${name}-ours-disk`);
    this.record(round, await consume('ours-disk', (g) => programs.oursDisk(ctx, disk, topic, g), disk));
    await rm(disk, { recursive: true, force: true });
    if (full && this.options.openmsistream) {
      const parent = await this.outDir(`${name}-oms`);
      const out = join(parent, 'out');
      // A second try (see `theirs`) is a new run: a group of its own, from offset 0 again.
      let attempt = 0;
      const row = await this.theirs(join(out, 'LOGS', 'DataFileDownloadDirectory.log'), async () => {
        await rm(out, { recursive: true, force: true });
        return consume('openmsistream-download', (g) => programs.openmsistreamDownload(ctx, out, topic, g, parent), out, attempt++ === 0 ? '' : '-again');
      });
      this.record(round, row);
      await rm(parent, { recursive: true, force: true });
    }
    if (full) {
      const memory = await this.outDir(`${name}-ours-memory`);
      const row = await consume('ours-memory', (g) => programs.oursMemory(ctx, memory, topic, g, this.options.memoryBudgetMiB));
      row.memoryBudgetMiB = this.options.memoryBudgetMiB;
      this.record(round, row);
      await rm(memory, { recursive: true, force: true });
    }
  }
}

function versions(openmsistream: boolean): BenchResult['versions'] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const kafkajs = JSON.parse(readFileSync(join(ROOT, 'node_modules/kafkajs/package.json'), 'utf8')) as { version: string };
  let oms: string | null = null;
  if (openmsistream) {
    const r = spawnSync(join(ROOT, '.venv/bin/python'), ['-c', 'from importlib.metadata import version; print(version("openmsistream"))'], { encoding: 'utf8' });
    oms = r.status === 0 ? r.stdout.trim() : null;
  }
  const status = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/broker.ts', 'status'], { cwd: ROOT, encoding: 'utf8' });
  const kafka = /Kafka (\d[\w.-]*)/.exec(status.stdout ?? '')?.[1] ?? null;
  return { datafileStream: pkg.version, openmsistream: oms, kafkaBroker: kafka, kafkajs: kafkajs.version };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  if (options.build) {
    log('building dist/ (npm run build)');
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) {
      // tsc still emits on type errors (another change in progress); only a missing CLI is fatal.
      log(`npm run build reported errors; continuing with what it emitted:\n${(r.stdout ?? '') + (r.stderr ?? '')}`.slice(0, 4000));
    }
  }
  if (!existsSync(join(ROOT, 'dist/bin/datafile-stream.js'))) throw new Error('dist/bin/datafile-stream.js is missing: run npm run build');
  log(run(process.execPath, ['--import', 'tsx', 'scripts/broker.ts', 'start'], 'starting the local Kafka broker').trim());
  if (options.openmsistream && !existsSync(join(ROOT, '.venv/bin/DataFileDownloadDirectory'))) {
    log('setting up the Python virtualenv with openmsistream (scripts/python-env.sh)');
    run('bash', ['scripts/python-env.sh'], 'scripts/python-env.sh');
  }

  const corpusRoot = join(ROOT, 'bench/corpora');
  await mkdir(corpusRoot, { recursive: true });
  const corpora: Corpus[] = [];
  const specs = corpusSpecs(options.quick);
  for (const name of options.corpora) {
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new Error(`--corpora: unknown corpus ${name} (A, T, B, C, X)`);
    corpora.push(await ensureCorpus(corpusRoot, spec, log));
  }

  const ctx = benchContext(ROOT);
  ctx.env.DATAFILE_STREAM_KAFKA_ENGINE = options.engine;
  // The shipped config names the broker by this variable; the bench process itself reads the
  // config too (bench/seed-topic.ts), not only the programs it starts.
  process.env.LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS ??= BOOTSTRAP;
  const admin = createKafka({ brokers: [BOOTSTRAP], clientId: 'datafile-stream-bench' }).admin();
  await admin.connect();
  const work = await mkdtemp(join(tmpdir(), 'dfs-bench-'));
  const bench = new Bench(ctx, options, admin, work);
  const report = (): BenchResult => ({ ...resultOf(bench.rows, corpora, options, ctx, startedAt), ...(bench.breakdown && { cpuBreakdown: bench.breakdown }) });
  try {
    for (const corpus of corpora) {
      await bench.corpus(corpus);
      await writeResults(report(), options, false); // so far: nothing is lost if a later corpus fails
    }
  } finally {
    if (!options.keepTopics && bench.topics.length > 0) await admin.deleteTopics({ topics: [...bench.topics] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
  const result = report();
  const written = await writeResults(result, options, true);
  process.stdout.write(renderMarkdown(result));
  log(`results: ${written}`);
  const failures = bench.rows.filter((r) => !r.ok);
  if (failures.length > 0) {
    log(`${failures.length} run(s) failed`);
    process.exitCode = 1;
  }
}

function resultOf(runs: Row[], corpora: Corpus[], options: Options, ctx: BenchContext, startedAt: Date): BenchResult {
  const rows = combineAll(runs);
  const ratios = computeRatios(rows, corpora.map((c) => c.spec.name));
  return {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: options.quick,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memTotalMiB: Math.round(totalmem() / 1024 / 1024), node: process.versions.node, platform: `${process.platform} ${process.arch}` },
    versions: versions(options.openmsistream),
    settings: { config: 'fixtures/openmsistream-configs/local_broker_test.config', chunkSize: ctx.chunkSize, memoryBudgetMiB: options.memoryBudgetMiB, consumerThreads: 2, engine: options.engine },
    corpora: corpora.map((c) => ({ name: c.spec.name, description: c.spec.description, files: c.spec.files, fileBytes: c.spec.fileBytes, totalBytes: c.totalBytes })),
    rows,
    ratios,
    targets: computeTargets(rows, ratios, options.memoryBudgetMiB),
    notes: [
      `Each row is the median of ${options.rounds} rounds, the sides alternating within each round (ours, then OpenMSIStream's), with the spread (min-max) beside it: on a shared 2-core machine the broker, the program under test and anything else running compete for the same cores, so single runs move by tens of percent; the load column shows the 1-minute load average before the first and after the last round, and CPU seconds are steadier than wall time.`,
      'Consumers are timed alike, by their consumer group\'s committed offsets reaching the end of every partition (admin API polled every 150 ms by the bench process), so a figure includes each program\'s own commit policy and nothing else: no program logs at debug level, and both get the same config file and the same --consumer_group_id flag.',
      `Uploads are stopped after ${Math.round(options.uploadCapMs / 1000)} s; a capped row reports its rate over that time (records in the topic by then).`,
      ...(options.quick ? ['Quick run: tiny corpora, dominated by process start-up and group joins; the targets are indicative only.'] : []),
    ],
  };
}

/** Writes <stem>.json/.md/.svg (and latest.md/.svg for a finished full run); returns the JSON path. */
async function writeResults(result: BenchResult, options: Options, final: boolean): Promise<string> {
  await mkdir(options.out, { recursive: true });
  const stem = options.quick ? `${result.date}-quick` : result.date;
  const markdown = renderMarkdown(result);
  const svg = renderSvg(result);
  await writeFile(join(options.out, `${stem}.json`), `${JSON.stringify({ ...result, complete: final }, null, 2)}\n`);
  await writeFile(join(options.out, `${stem}.md`), markdown);
  await writeFile(join(options.out, `${stem}.svg`), svg);
  const whole = corpusSpecs(false).every((spec) => options.corpora.includes(spec.name));
  if (final && !options.quick && whole) {
    await writeFile(join(options.out, 'latest.md'), markdown);
    await writeFile(join(options.out, 'latest.svg'), svg);
  }
  return join(options.out, `${stem}.json`);
}

main().catch((err: unknown) => {
  log(`failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
