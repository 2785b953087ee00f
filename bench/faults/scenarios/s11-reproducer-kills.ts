/**
 * 11. Transactional reproducer SIGKILLed at random moments: scenario 1's scale on 3 partitions
 * (a first batch of files, then a file every second while the runs go on and die), but the
 * program is `datafile-stream reproduce` with fault-reproducer.ts (a result per file: path, size,
 * SHA-512), exactly once: each commit is a Kafka transaction holding the results and the consumer
 * offsets past them. It is SIGKILLed >= 20 times (each at a random moment after the run got its
 * partitions), restarted each time, then caught up. The oracle reads the result topic with
 * read_committed: every uploaded file has exactly one result and its content is right (0 lost,
 * 0 duplicates, 0 wrong), and the group's offsets reach the chunk topic's end.
 *
 * A read_uncommitted reader also counts the records of aborted transactions (results a killed run
 * had produced but not committed): they show the kills landed inside transactions. The full run
 * then repeats the same kill moments, with files from the same seed, in --at_least_once mode, for
 * the line under the row (duplicates are its nature there; losing a result would not be).
 */
import { runConsumer, sleep, type ConsumerArgs, type ProgramRun } from '../consumer-process.js';
import { KafkaFixtures } from '../kafka-fixtures.js';
import { measureResults, readResults, type ResultRecord } from '../result-topic.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Scenario, type ScenarioContext } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { byFile, interleaved, makeFiles } from '../test-files.js';
import { catchUp } from './catch-up.js';

const REPRODUCER = new URL('../fault-reproducer.ts', import.meta.url).pathname;
const BROKERS = ['127.0.0.1:9092'];
const SLOW_MS = 250;
const N_THREADS = 2;

interface KilledRuns {
  files: Map<string, Buffer>;
  kills: number;
  runs: number;
  targetKills: number;
  codes: Array<number | NodeJS.Signals | null>;
  /** What a read_committed reader of the result topic sees. */
  committed: ResultRecord[];
  /** Records a read_uncommitted reader sees (committed + aborted); undefined when not read. */
  logged?: number;
  uncommitted: number;
  /** Chunk records produced, and those the killed runs had committed before the catch-up. */
  records: number;
  committedByKilledRuns: number;
  /** Runs of the kill phase that ended before their kill, and why. */
  early: string[];
  seconds: number;
}

/**
 * Waits until the run has its partitions (it logs the assignment) or ends. A restart waits out
 * the killed member's session timeout before it gets them: a kill timed from the start would
 * mostly land before any work, so the random moment counts from the assignment.
 */
async function assignment(run: ProgramRun, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (run.running && Date.now() < deadline && run.count('partitions assigned') === 0) await sleep(50);
}

/**
 * Files arriving while the reproducer runs and dies: a first batch, then one file every
 * `everyMs` until stopped. Both layouts: the toolkit's uploader's (a file's chunks on one
 * partition: offsets, and so transactions, move file by file) and, every other file,
 * OpenMSIStream's (chunks shuffled over the partitions: an offset passes a file only once the
 * files below it are done).
 */
class Uploads {
  readonly files = new Map<string, Buffer>();
  records = 0;
  readonly #kafka: KafkaFixtures;
  readonly #topic: string;
  readonly #rng: SeededRandom;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();
  #error: unknown;

  constructor(kafka: KafkaFixtures, topic: string, rng: SeededRandom) {
    this.#kafka = kafka;
    this.#topic = topic;
    this.#rng = rng;
  }

  async upload(count: number, label: string, shuffled: boolean): Promise<void> {
    const next = makeFiles(this.#rng, { count, prefix: label, maxChunks: 10 });
    for (const [p, d] of next) this.files.set(p, d);
    const records = shuffled ? interleaved(this.#rng, next, 3) : byFile(this.#rng, next);
    this.records += records.length;
    await this.#kafka.produce(this.#topic, records);
  }

  start(everyMs: number): void {
    this.#loop = (async () => {
      for (let i = 1; !this.#stopped; i++) {
        await this.upload(1, `t${String(i).padStart(3, '0')}`, i % 2 === 1);
        await sleep(everyMs);
      }
    })().catch((err: unknown) => {
      this.#error = err;
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    if (this.#error) throw this.#error;
  }
}

/** Runs the reproducer and SIGKILLs it at random moments while files arrive, then catches up. */
async function killRepeatedly(ctx: ScenarioContext, box: Sandbox, kafka: KafkaFixtures, outputDir: string, atLeastOnce: boolean): Promise<KilledRuns> {
  const started = Date.now();
  const tag = atLeastOnce ? 'alo' : 'eo';
  const topic = `faults-s11-${tag}-${ctx.seed}-${Date.now()}`;
  const results = `${topic}-results`;
  const group = `${topic}-g`;
  await kafka.createTopic(topic, 3);
  await kafka.createTopic(results, 2);
  const logFile = box.harnessFile(`program-${tag}.log`);
  const targetKills = ctx.quick ? 4 : 20;
  // The same seeds in both modes: the same files (as many as the runs' length lets arrive) and kill moments.
  const uploads = new Uploads(kafka, topic, new SeededRandom(ctx.seed + 111));
  const rng = new SeededRandom(ctx.seed + 11);
  await uploads.upload(ctx.quick ? 12 : 30, 'w00', false);
  uploads.start(ctx.quick ? 800 : 1000);
  const args: ConsumerArgs = {
    command: ['reproduce', REPRODUCER],
    config: await box.writeConfig(`faults-${tag}.config`),
    topic, group, outputDir, mode: 'memory', untilIdle: 3, nThreads: N_THREADS,
    // Both modes on kafkajs, the engine whose transactions this row measures, whatever
    // $DATAFILE_STREAM_KAFKA_ENGINE says (CI runs the matrix again with librdkafka).
    extra: ['--producer_topic_name', results, '--kafka_engine', 'kafkajs', ...(atLeastOnce ? ['--at_least_once'] : [])],
  };
  const env = { SLOW_MS: String(SLOW_MS) };
  let kills = 0;
  let runs = 0;
  const early: string[] = [];
  while (kills < targetKills && runs < targetKills * 2) {
    runs++;
    const delay = rng.int(ctx.quick ? 500 : 200, ctx.quick ? 4000 : 6000);
    const run = runConsumer(args, env, logFile);
    await assignment(run);
    const timer = setTimeout(() => run.kill('SIGKILL'), delay);
    const exit = await run.exited;
    clearTimeout(timer);
    if (exit.signal === 'SIGKILL') kills++;
    const why = run.lines.filter((l) => (l.level ?? 0) >= 50).at(-1);
    if (exit.signal !== 'SIGKILL') early.push(`run ${runs} exited ${exit.code}${why ? ` (${why.code ?? ''} ${String(why.msg ?? '').slice(0, 160)})` : ''}`);
    ctx.log(`  ${tag} run ${runs}: ${exit.signal === 'SIGKILL' ? `killed ${delay} ms after its assignment` : early.at(-1)}`);
    await sleep(rng.int(0, 500));
  }
  await uploads.stop();
  const committedByKilledRuns = uploads.records - (await kafka.uncommitted(topic, group));
  const final = await catchUp(kafka, args, env, logFile, topic, group);
  const [committed, logged] = await Promise.all([
    readResults(BROKERS, results, { committed: true, atLeast: uploads.files.size }),
    atLeastOnce ? undefined : readResults(BROKERS, results, { committed: false, atLeast: uploads.files.size }).then((r) => r.length),
  ]);
  return {
    files: uploads.files, kills, runs, targetKills, codes: final.codes, committed, ...(logged !== undefined && { logged }),
    uncommitted: await kafka.uncommitted(topic, group), records: uploads.records, committedByKilledRuns, early, seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

/** The line under the row: the same kills without transactions. */
async function atLeastOnceLine(ctx: ScenarioContext, box: Sandbox, kafka: KafkaFixtures, outputDir: string): Promise<{ note: string; ok: boolean }> {
  const r = await killRepeatedly(ctx, box, kafka, outputDir, true);
  const m = measureResults(r.committed, r.files);
  return {
    ok: m.lost === 0 && m.wrong === 0 && r.uncommitted === 0,
    note: `at least once (--at_least_once, the same files and kill moments; informational): ${r.kills} SIGKILLs in ${r.runs} runs, ${r.files.size} files, ` +
      `${m.lost} lost, ${m.wrong} wrong, ${m.duplicates} duplicate results (${r.committed.length} results for ${r.files.size} files), uncommitted ${r.uncommitted}, ${r.seconds} s`,
  };
}

export const reproducerKills: Scenario = {
  id: 11,
  title: 'transactional reproducer SIGKILLed at random moments',
  quick: true,
  async run(ctx) {
    const started = Date.now();
    const box = await Sandbox.create('s11');
    try {
      const kafka = new KafkaFixtures(BROKERS);
      const outs = { eo: box.outputDir('out-eo'), alo: box.outputDir('out-alo') };
      await box.watchOutside();
      const eo = await killRepeatedly(ctx, box, kafka, outs.eo, false);
      const m = measureResults(eo.committed, eo.files);
      const aborted = (eo.logged ?? eo.committed.length) - eo.committed.length;
      const alo = ctx.quick ? undefined : await atLeastOnceLine(ctx, box, kafka, outs.alo);
      const outside = await box.outsideReport();
      return resultOf({ id: 11, title: this.title, started }, m, {
        files: eo.files.size,
        faults: eo.kills,
        faultsDetail: `${eo.kills} SIGKILLs in ${eo.runs} runs (exactly once; ${aborted} results of aborted transactions in the log)`,
        duplicateBound: 0,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted: eo.uncommitted,
        checks: [
          { name: `>= ${eo.targetKills} kills`, ok: eo.kills >= eo.targetKills, detail: `${eo.kills}` },
          { name: 'catch-up ends with exit 0, and no run exits 4: no result failed', ok: eo.codes.at(-1) === 0 && !eo.codes.includes(4), detail: `exits ${eo.codes.join(', ')}` },
          { name: 'read_committed: one result per uploaded file, each matching its size and SHA-512', ok: eo.committed.length === eo.files.size, detail: `${eo.committed.length} results for ${eo.files.size} files` },
          ...(alo ? [{ name: 'at least once under the same kills: 0 lost, 0 wrong, 0 uncommitted', ok: alo.ok }] : []),
        ],
        notes: [
          `exactly once: the killed runs had committed ${eo.committedByKilledRuns} of ${eo.records} chunk records (the catch-up the rest); ${eo.committed.length} committed results for ${eo.files.size} files; ` +
            `a read_uncommitted reader sees ${eo.logged ?? '?'} records (${aborted} from transactions the kills aborted); ${eo.seconds} s`,
          alo?.note ?? 'at least once under the same kills: full run only',
          ...eo.early.map((e) => `ended before its kill: ${e}`),
          ...outside.entries.slice(0, 3),
        ],
      });
    } finally {
      if (!ctx.keep) await box.cleanup();
    }
  },
};
