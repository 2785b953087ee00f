/**
 * 1. Consumer SIGKILL at >= 20 random moments over a multi-partition run with interleaved
 * files (OpenMSIStream's layout: chunks shuffled over 3 partitions), new files arriving in
 * waves between runs, then restarts until caught up: 0 lost, 0 wrong, duplicates within the
 * in-flight window of each crash.
 */
import { duplicatesPerRun, inFlightWindow } from '../duplicate-window.js';
import { runConsumer, sleep, type ConsumerArgs } from '../consumer-process.js';
import { KafkaFixtures } from '../kafka-fixtures.js';
import { measure, readRecordFile } from '../oracle.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Scenario } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { expectedHashes, interleaved, makeFiles } from '../test-files.js';
import { catchUp } from './catch-up.js';

const SLOW_MS = 250;
const N_THREADS = 2;

export const randomKills: Scenario = {
  id: 1,
  title: 'consumer SIGKILL at random moments',
  quick: true,
  async run(ctx) {
    const started = Date.now();
    const rng = new SeededRandom(ctx.seed + 1);
    const box = await Sandbox.create('s01');
    try {
      const kafka = new KafkaFixtures(['127.0.0.1:9092']);
      const topic = `faults-s01-${ctx.seed}-${Date.now()}`;
      const group = `${topic}-g`;
      await kafka.createTopic(topic, 3);
      const config = await box.writeConfig('faults.config');
      const out = box.outputDir();
      const record = box.harnessFile('record.txt');
      const logFile = box.harnessFile('program.log');
      const targetKills = ctx.quick ? 5 : 20;
      const files = new Map<string, Buffer>();
      const wave = (n: number, label: string): Map<string, Buffer> => makeFiles(rng, { count: n, prefix: label, maxChunks: 10 });
      const first = wave(ctx.quick ? 16 : 30, 'w00');
      for (const [p, d] of first) files.set(p, d);
      await kafka.produce(topic, interleaved(rng, first, 3));
      await box.watchOutside();
      const args: ConsumerArgs = { config, topic, group, outputDir: out, mode: 'disk', untilIdle: 3, nThreads: N_THREADS };
      const env = { RECORD_FILE: record, SLOW_MS: String(SLOW_MS) };
      let kills = 0;
      let runs = 0;
      while (kills < targetKills && runs < targetKills * 2) {
        runs++;
        const next = wave(ctx.quick ? 3 : 5, `w${String(runs).padStart(2, '0')}`);
        for (const [p, d] of next) files.set(p, d);
        await kafka.produce(topic, interleaved(rng, next, 3));
        const delay = rng.int(2000, 9000);
        const run = runConsumer(args, env, logFile);
        const timer = setTimeout(() => run.kill('SIGKILL'), delay);
        const exit = await run.exited;
        clearTimeout(timer);
        if (exit.signal === 'SIGKILL') kills++;
        ctx.log(`  run ${runs}: ${exit.signal === 'SIGKILL' ? `killed after ${delay} ms` : `exited ${exit.code} before its kill`}`);
        await sleep(rng.int(0, 500));
      }
      const final = await catchUp(kafka, args, env, logFile, topic, group);
      const lines = await readRecordFile(record);
      const expected = expectedHashes(files);
      const m = await measure(lines, { processed: expected }, [{ dir: out, topic, group, disk: true }]);
      const perRun = duplicatesPerRun(lines, expected);
      const window = inFlightWindow(N_THREADS, SLOW_MS);
      const worst = Math.max(0, ...perRun.values());
      const outside = await box.outsideReport();
      return resultOf({ id: 1, title: this.title, started }, m, {
        files: files.size,
        faults: kills,
        faultsDetail: `${kills} SIGKILLs in ${runs} runs`,
        duplicateBound: kills * window,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted: await kafka.uncommitted(topic, group),
        checks: [
          { name: `>= ${targetKills} kills`, ok: kills >= targetKills, detail: `${kills}` },
          { name: 'catch-up ends with exit 0, and no run exits 4: no file failed', ok: final.code === 0 && !final.codes.includes(4), detail: `exits ${final.codes.join(', ')}` },
          { name: `duplicates per crash <= in-flight window ${window}`, ok: worst <= window, detail: `worst ${worst}` },
        ],
        notes: [`worst crash: ${worst} duplicates (window ${window}: ${N_THREADS} threads + files ending during one flush of processed rows at ${SLOW_MS} ms each)`, ...outside.entries.slice(0, 3)],
      });
    } finally {
      if (!ctx.keep) await box.cleanup();
    }
  },
};
