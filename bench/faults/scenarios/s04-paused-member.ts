/**
 * 4. A consumer paused (SIGSTOP) longer than the session timeout (6 s here), then resumed
 * (SIGCONT). Two members in one group on a file-partitioned topic (A in memory mode, B in disk
 * mode, each with its own output directory), files arriving throughout; A is paused for 12 s,
 * later B is. The group must rebalance around the paused member, the resumed member must rejoin
 * and carry on, and in the end no file is lost or processed with wrong bytes, and everything is
 * committed.
 */
import { runConsumer, sleep, type ConsumerArgs, type ProgramRun } from '../consumer-process.js';
import { KafkaFixtures } from '../kafka-fixtures.js';
import { measure, readRecordFile } from '../oracle.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Scenario } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { byFile, expectedHashes, makeFiles } from '../test-files.js';

const PAUSE_MS = 12_000;

export const pausedMember: Scenario = {
  id: 4,
  title: 'consumer paused (SIGSTOP) past the session timeout',
  quick: false,
  async run(ctx) {
    const started = Date.now();
    const rng = new SeededRandom(ctx.seed + 4);
    const box = await Sandbox.create('s04');
    const runs: ProgramRun[] = [];
    try {
      const kafka = new KafkaFixtures(['127.0.0.1:9092']);
      const topic = `faults-s04-${ctx.seed}-${Date.now()}`;
      const group = `${topic}-g`;
      await kafka.createTopic(topic, 4);
      const config = await box.writeConfig('faults.config', { sessionTimeoutMs: 6000, heartbeatIntervalMs: 2000 });
      const record = box.harnessFile('record.txt');
      const outA = box.outputDir('member-a');
      const outB = box.outputDir('member-b');
      const files = new Map<string, Buffer>();
      const wave = async (label: string, count: number): Promise<void> => {
        const next = makeFiles(rng, { count, prefix: label, maxChunks: 10 });
        for (const [p, d] of next) files.set(p, d);
        await kafka.produce(topic, byFile(rng, next));
      };
      await wave('w0', 30);
      await box.watchOutside();
      const env = { RECORD_FILE: record, SLOW_MS: '300' };
      const argsA: ConsumerArgs = { config, topic, group, outputDir: outA, mode: 'memory', nThreads: 2 };
      const argsB: ConsumerArgs = { config, topic, group, outputDir: outB, mode: 'disk', nThreads: 2 };
      const a = runConsumer(argsA, env, box.harnessFile('program-a.log'));
      const b = runConsumer(argsB, env, box.harnessFile('program-b.log'));
      runs.push(a, b);
      const pauses: string[] = [];
      for (const [name, member, other] of [['A', a, b], ['B', b, a]] as const) {
        await sleep(rng.int(3000, 5000));
        const assignedBefore = other.count('partitions assigned');
        member.kill('SIGSTOP');
        await wave(`during-${name}`, 10);
        await sleep(PAUSE_MS);
        const rebalanced = other.count('partitions assigned') > assignedBefore;
        member.kill('SIGCONT');
        pauses.push(`${name} paused ${PAUSE_MS / 1000} s: ${rebalanced ? 'the other member took over its partitions' : 'no rebalance seen'}`);
        ctx.log(`  ${pauses.at(-1)}`);
      }
      await wave('after', 10);
      // Let both finish: until the group has committed everything (or a minute passed).
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && (await kafka.uncommitted(topic, group)) > 0) await sleep(1000);
      await sleep(2000);
      a.kill('SIGTERM');
      b.kill('SIGTERM');
      const [ea, eb] = await Promise.all([a.exited, b.exited]);
      const expected = expectedHashes(files);
      const m = await measure(await readRecordFile(record), { processed: expected }, [
        { dir: outA, topic, group, disk: false },
        { dir: outB, topic, group, disk: true },
      ]);
      const outside = await box.outsideReport();
      const rejoinedA = a.count('partitions assigned');
      const rejoinedB = b.count('partitions assigned');
      return resultOf({ id: 4, title: this.title, started }, m, {
        files: files.size,
        faults: 2,
        faultsDetail: `A (memory mode) then B (disk mode) SIGSTOPped ${PAUSE_MS / 1000} s with a 6 s session timeout`,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted: await kafka.uncommitted(topic, group),
        checks: [
          { name: 'the group rebalanced around each paused member', ok: pauses.every((p) => p.includes('took over')), detail: pauses.join('; ') },
          { name: 'both members rejoined after SIGCONT and stopped cleanly (stopped by SIGTERM: exit 143)', ok: ea.code === 143 && eb.code === 143 && rejoinedA >= 2 && rejoinedB >= 2, detail: `A: exit ${ea.code ?? ea.signal}, ${rejoinedA} assignments; B: exit ${eb.code ?? eb.signal}, ${rejoinedB} assignments` },
        ],
        notes: [...outside.entries.slice(0, 3)],
      });
    } finally {
      for (const r of runs) {
        r.kill('SIGCONT');
        r.kill('SIGKILL');
      }
      if (!ctx.keep) await box.cleanup();
    }
  },
};
