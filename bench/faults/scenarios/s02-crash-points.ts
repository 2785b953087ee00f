/**
 * 2. Forced crash points (DATAFILE_STREAM_CRASH_AT, lib/faults/crash-point.ts): SIGKILL after
 * buffering a chunk, after a staging write, before and after the rename, inside processing,
 * after processing (before the registry), after the registry (before the commit), after the
 * commit. Each point on a fresh group over the same interleaved 3-partition topic, in disk
 * mode, and the points that exist in memory mode again there; then one restart: same oracle.
 */
import { runConsumer, type ConsumerArgs } from '../consumer-process.js';
import { KafkaFixtures } from '../kafka-fixtures.js';
import { measure, readRecordFile, type Measured } from '../oracle.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Check, type Scenario } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { expectedHashes, interleaved, makeFiles } from '../test-files.js';
import { catchUp } from './catch-up.js';

const N_THREADS = 2;
const DISK_POINTS = ['after-buffer', 'after-staging-write', 'before-rename', 'after-rename', 'in-processing', 'after-processing', 'after-registry', 'after-commit'];
const MEMORY_POINTS = ['after-buffer', 'in-processing', 'after-processing', 'after-registry', 'after-commit'];

function nthFor(point: string, rng: SeededRandom): number {
  if (point === 'after-registry' || point === 'after-commit') return 1;
  if (point === 'after-buffer' || point === 'after-staging-write') return rng.int(1, 40);
  return rng.int(1, 6);
}

export const crashPoints: Scenario = {
  id: 2,
  title: 'forced crash points',
  quick: true,
  async run(ctx) {
    const started = Date.now();
    const rng = new SeededRandom(ctx.seed + 2);
    const box = await Sandbox.create('s02');
    try {
      const kafka = new KafkaFixtures(['127.0.0.1:9092']);
      const topic = `faults-s02-${ctx.seed}-${Date.now()}`;
      await kafka.createTopic(topic, 3);
      const files = makeFiles(rng, { count: 16, prefix: 'cp', maxChunks: 8 });
      await kafka.produce(topic, interleaved(rng, files, 3));
      const expected = expectedHashes(files);
      const config = await box.writeConfig('faults.config');
      await box.watchOutside();
      const runs = [
        ...DISK_POINTS.map((p) => ({ mode: 'disk' as const, point: `${p}:${nthFor(p, rng)}` })),
        ...(ctx.quick ? [] : MEMORY_POINTS.map((p) => ({ mode: 'memory' as const, point: `${p}:${nthFor(p, rng)}` }))),
      ];
      const total: Measured = { lost: 0, wrong: 0, duplicates: 0, lostPaths: [], wrongDetails: [], calls: 0 };
      const checks: Check[] = [];
      const notes: string[] = [];
      let uncommitted = 0;
      let crashes = 0;
      const window = N_THREADS + 2;
      for (const [i, { mode, point }] of runs.entries()) {
        const group = `${topic}-g${i}`;
        const out = box.outputDir(`out${i}`);
        const record = box.harnessFile(`record${i}.txt`);
        const logFile = box.harnessFile(`program${i}.log`);
        const args: ConsumerArgs = { config, topic, group, outputDir: out, mode, untilIdle: 2, nThreads: N_THREADS };
        const crashed = await runConsumer(args, { RECORD_FILE: record, DATAFILE_STREAM_CRASH_AT: point }, logFile).exited;
        const reached = crashed.signal === 'SIGKILL';
        if (reached) crashes++;
        const final = await catchUp(kafka, args, { RECORD_FILE: record }, logFile, topic, group);
        const m = await measure(await readRecordFile(record), { processed: expected }, [{ dir: out, topic, group, disk: mode === 'disk' }]);
        const left = await kafka.uncommitted(topic, group);
        total.lost += m.lost;
        total.wrong += m.wrong;
        total.duplicates += m.duplicates;
        total.lostPaths.push(...m.lostPaths.map((p) => `${mode} ${point}: ${p}`));
        total.wrongDetails.push(...m.wrongDetails.map((p) => `${mode} ${point}: ${p}`));
        uncommitted += left;
        checks.push({ name: `${mode} ${point}: crashed there (SIGKILL), restart exited 0 (no run exits 4: no file failed), duplicates <= ${window}`, ok: reached && final.code === 0 && !final.codes.includes(4) && m.duplicates <= window, detail: `${reached ? 'crashed' : `exit ${crashed.code ?? crashed.signal}, point not reached`}; restart exits ${final.codes.join(', ')}; lost ${m.lost}, wrong ${m.wrong}, dup ${m.duplicates}, uncommitted ${left}` });
        ctx.log(`  ${mode} ${point}: ${reached ? 'crashed' : 'not reached'} after ${crashed.ms} ms, ${final.runs} restart(s) ${final.ms} ms, lost ${m.lost}, wrong ${m.wrong}, dup ${m.duplicates}, uncommitted ${left}`);
      }
      const outside = await box.outsideReport();
      return resultOf({ id: 2, title: this.title, started }, total, {
        files: files.size * runs.length,
        faults: crashes,
        faultsDetail: `${crashes} forced crashes at ${runs.length} points (${runs.filter((r) => r.mode === 'disk').length} disk mode, ${runs.filter((r) => r.mode === 'memory').length} memory mode; ${files.size} files each)`,
        duplicateBound: runs.length * window,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted,
        checks,
        notes: [...notes, ...outside.entries.slice(0, 3)],
      });
    } finally {
      if (!ctx.keep) await box.cleanup();
    }
  },
};
