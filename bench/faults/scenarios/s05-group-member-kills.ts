/**
 * 5. Two consumer processes in one group on a file-partitioned topic (the toolkit's
 * FilePartitioner: every chunk of a file on one partition), each with its own output directory
 * as on two machines.
 *
 *  a. Member A is SIGKILLed and restarted repeatedly while files keep arriving (three of them
 *     trickling in one chunk at a time); member B runs on. Then both run until caught up.
 *  b. The hand-over of a partial file, forced: A holds the first half of a file long enough for
 *     its staging journal to make it durable and commit past it; A is killed; B takes the
 *     partition over and receives the second half; A comes back. Then both run until caught up.
 *
 * Oracle: every file processed (by one member or the other), none lost, none with wrong bytes,
 * everything committed.
 */
import { runConsumer, sleep, type ConsumerArgs, type ProgramRun } from '../consumer-process.js';
import { KafkaFixtures } from '../kafka-fixtures.js';
import { measure, readRecordFile } from '../oracle.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Scenario } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { byFile, expectedHashes, makeFiles } from '../test-files.js';
import { partialFileHandover } from './partial-file-handover.js';

const PARTITIONS = 4;

export const groupMemberKills: Scenario = {
  id: 5,
  title: 'two group members, one killed repeatedly',
  quick: false,
  async run(ctx) {
    const started = Date.now();
    const rng = new SeededRandom(ctx.seed + 5);
    const box = await Sandbox.create('s05');
    const runs: ProgramRun[] = [];
    try {
      const kafka = new KafkaFixtures(['127.0.0.1:9092']);
      const topic = `faults-s05-${ctx.seed}-${Date.now()}`;
      const group = `${topic}-g`;
      await kafka.createTopic(topic, PARTITIONS);
      const config = await box.writeConfig('faults.config');
      const record = box.harnessFile('record.txt');
      const outA = box.outputDir('member-a');
      const outB = box.outputDir('member-b');
      const files = new Map<string, Buffer>();
      const wave = async (label: string, count: number): Promise<void> => {
        const next = makeFiles(rng, { count, prefix: label, maxChunks: 12 });
        for (const [p, d] of next) files.set(p, d);
        await kafka.produce(topic, byFile(rng, next));
      };
      await wave('w00', 30);
      await box.watchOutside();
      const env = { RECORD_FILE: record, SLOW_MS: '400' };
      const argsA: ConsumerArgs = { config, topic, group, outputDir: outA, mode: 'disk', nThreads: 2 };
      const argsB: ConsumerArgs = { config, topic, group, outputDir: outB, mode: 'disk', nThreads: 2 };
      const b = runConsumer(argsB, env, box.harnessFile('program-b.log'));
      runs.push(b);
      // Slow uploads (a big file over a slow link): one chunk every 1.5 s, so a member holds
      // them partial long enough for its staging journal to make their first chunks durable and
      // commit past them, and then gets killed.
      const slowFiles = makeFiles(rng, { count: 3, prefix: 'slow', minChunks: 12, maxChunks: 12 });
      for (const [p, d] of slowFiles) files.set(p, d);
      const slowRecords = byFile(rng, slowFiles);
      let trickling = true;
      const trickle = (async () => {
        for (const r of slowRecords) {
          if (!trickling) break;
          await kafka.produce(topic, [r]);
          await sleep(1500 / slowFiles.size);
        }
      })();
      const targetKills = ctx.quick ? 3 : 8;
      let kills = 0;
      for (let i = 1; kills < targetKills; i++) {
        await wave(`w${String(i).padStart(2, '0')}`, 12);
        const a = runConsumer(argsA, env, box.harnessFile('program-a.log'));
        runs.push(a);
        await sleep(rng.int(4000, 10000));
        a.kill('SIGKILL');
        await a.exited;
        kills++;
        ctx.log(`  member A killed (${kills}/${targetKills})`);
        await sleep(rng.int(0, 2000));
      }
      // The trickle finishes: cut short (quick mode kills A 3 times in ~18 s, the trickle takes
      // ~19 s), the slow files' last chunks were never produced and the oracle counted them lost.
      await trickle;
      trickling = false;
      b.kill('SIGTERM');
      const stoppedB = await b.exited;
      // Both members run until caught up, then A alone once more (whatever B left to it).
      const finalA = runConsumer({ ...argsA, untilIdle: 8 }, { RECORD_FILE: record }, box.harnessFile('program-a.log'));
      const finalB = runConsumer({ ...argsB, untilIdle: 8 }, { RECORD_FILE: record }, box.harnessFile('program-b.log'));
      runs.push(finalA, finalB);
      const [ea, eb] = await Promise.all([finalA.exited, finalB.exited]);
      ctx.log(`  a. final runs: A exit ${ea.code} after ${Math.round(ea.ms / 1000)} s, B exit ${eb.code} after ${Math.round(eb.ms / 1000)} s`);
      const expected = expectedHashes(files);
      const outputs = [{ dir: outA, topic, group, disk: true }, { dir: outB, topic, group, disk: true }];
      const lines = await readRecordFile(record);
      const m = await measure(lines, { processed: expected }, outputs);
      const byA = lines.filter((l) => runs.some((r, k) => k > 0 && r !== finalB && r.pid === l.pid)).length;
      const handoverStarted = Date.now();
      const handover = await partialFileHandover(rng, box, kafka, config, String(ctx.seed));
      ctx.log(`  b. hand-over case took ${Math.round((Date.now() - handoverStarted) / 1000)} s`);
      const outside = await box.outsideReport();
      const total = {
        ...m,
        lost: m.lost + handover.measured.lost,
        wrong: m.wrong + handover.measured.wrong,
        duplicates: m.duplicates + handover.measured.duplicates,
        lostPaths: [...m.lostPaths, ...handover.measured.lostPaths.map((p) => `b. ${p}`)],
        wrongDetails: [...m.wrongDetails, ...handover.measured.wrongDetails],
      };
      return resultOf({ id: 5, title: this.title, started }, total, {
        files: files.size + handover.files,
        faults: kills + 1,
        faultsDetail: `a. member A SIGKILLed ${kills} times (B runs on; ${PARTITIONS} partitions, files keep arriving, ${slowFiles.size} of them trickling one chunk at a time); b. one forced hand-over of a journaled partial file`,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted: (await kafka.uncommitted(topic, group)) + handover.uncommitted,
        checks: [
          { name: 'a. member B stopped by SIGTERM exits 143', ok: stoppedB.code === 143, detail: `exit ${stoppedB.code ?? stoppedB.signal}` },
          { name: 'a. final runs of both members exit 0: idle, no file failed', ok: ea.code === 0 && eb.code === 0, detail: `A ${ea.code ?? ea.signal}, B ${eb.code ?? eb.signal}` },
          { name: 'a. member A took part (processed files between kills)', ok: byA > 0, detail: `${byA} of ${lines.length} processing calls by A` },
          ...handover.checks,
        ],
        notes: [`duplicates are files a member processed and then lost with its partition, or re-read after a kill`, ...outside.entries.slice(0, 3)],
      });
    } finally {
      for (const r of runs) r.kill('SIGKILL');
      if (!ctx.keep) await box.cleanup();
    }
  },
};
