/**
 * 10. Retention removed records of an unfinished file while the consumer was down. Two cases,
 * each on its own single-partition topic, consumed in disk mode with a fixed group:
 *
 *  a. The consumer stops (SIGTERM) while file B has 3 of its 6 chunks and file S 2 of its 4
 *     (both too young for the staging journal, so their records are uncommitted). While it is
 *     down the rest of B and S and a new file arrive, and the records below S's first chunk are
 *     deleted (`deleteRecords`, what retention does): B's first chunks are gone, S's are not.
 *  b. File J's first 2 chunks stay partial long enough to be journaled (durable in staging,
 *     their offsets committed); the consumer stops; while it is down J's third chunk arrives and
 *     is deleted, then its fourth and a new file arrive.
 *
 * The restart must name B and J as unrecoverable (ERR_FILE_UNRECOVERABLE in the log, `failed`
 * in the registry) and not S, complete S and the new files, commit to the end and exit 4 (B and J
 * failed in that run).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGING_DIR_NAME } from '../../../lib/sinks/disk-sink.js';
import { runConsumer, sleep, type ConsumerArgs, type ProgramRun } from '../consumer-process.js';
import { KafkaFixtures } from '../kafka-fixtures.js';
import { inProgressTable, measure, readRecordFile, type Measured } from '../oracle.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Check, type Scenario } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { chunksOf, expectedHashes, makeFiles, recordOf } from '../test-files.js';

async function until(what: () => Promise<boolean> | boolean, ms = 60_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await what()) return true;
    await sleep(100);
  }
  return false;
}

function named(run: ProgramRun, path: string): boolean {
  return run.withCode('ERR_FILE_UNRECOVERABLE').some((l) => l.file === path);
}

export const retentionGap: Scenario = {
  id: 10,
  title: 'retention removed records of an unfinished file',
  quick: true,
  async run(ctx) {
    const started = Date.now();
    const rng = new SeededRandom(ctx.seed + 10);
    const box = await Sandbox.create('s10');
    try {
      const kafka = new KafkaFixtures(['127.0.0.1:9092']);
      const config = await box.writeConfig('faults.config');
      const recs = (path: string, data: Buffer) => chunksOf(path, data).map((c) => recordOf(c, 0));
      const checks: Check[] = [];
      const total: Measured = { lost: 0, wrong: 0, duplicates: 0, lostPaths: [], wrongDetails: [], calls: 0 };
      let deleted = 0n;
      let uncommitted = 0;
      let files = 0;
      await box.watchOutside();

      // a. B loses its first chunks, S keeps all of its own.
      {
        const topic = `faults-s10a-${ctx.seed}-${Date.now()}`;
        const group = `${topic}-g`;
        await kafka.createTopic(topic, 1);
        const out = box.outputDir('out-a');
        const record = box.harnessFile('record-a.txt');
        const args: ConsumerArgs = { config, topic, group, outputDir: out, mode: 'disk', untilIdle: 7, nThreads: 2 };
        const before = makeFiles(rng, { count: 4, prefix: 'before', maxChunks: 4 });
        const later = makeFiles(rng, { count: 4, prefix: 'later', maxChunks: 4 });
        const b = recs('gone/b.dat', rng.bytes(6 * 4096 - 100));
        const sData = rng.bytes(4 * 4096 - 7);
        const s = recs('kept/s.dat', sData);
        const early = [...before].flatMap(([p, d]) => recs(p, d));
        const offsets = await kafka.produceTracked(topic, [...early, ...b.slice(0, 3), ...s.slice(0, 2)]);
        const first = runConsumer(args, { RECORD_FILE: record }, box.harnessFile('program-a.log'));
        await until(async () => (await readRecordFile(record)).length >= before.size);
        await until(async () => (await inProgressTable(out, topic, group)).length >= 2, 3000);
        first.kill('SIGTERM');
        const firstExit = await first.exited;
        const committed = (await kafka.offsets(topic, group))[0]!.committed;
        const bStart = BigInt(offsets[early.length]!);
        const cut = BigInt(offsets[early.length + 3]!); // S's first chunk: B's 3 chunks go, S's stay
        checks.push({ name: 'a. setup: first run stopped by SIGTERM (exit 143) with B and S partial and uncommitted', ok: firstExit.code === 143 && committed === bStart, detail: `exit ${firstExit.code ?? firstExit.signal}, committed ${committed}, B starts at ${bStart}` });
        await kafka.produceTracked(topic, [...b.slice(3), ...s.slice(2), ...[...later].flatMap(([p, d]) => recs(p, d))]);
        await kafka.deleteRecordsBelow(topic, 0, cut);
        deleted += cut - committed;
        const second = runConsumer(args, { RECORD_FILE: record }, box.harnessFile('program-a.log'));
        const exit = await second.exited;
        const expected = expectedHashes(new Map([...before, ...later, ['kept/s.dat', sData]]));
        files += expected.size + 1;
        const m = await measure(await readRecordFile(record), { processed: expected }, [{ dir: out, topic, group, disk: true }]);
        const status = new Map((await inProgressTable(out, topic, group)).map((r) => [r.rel_filepath!, r.status!]));
        checks.push({ name: 'a. restart names B unrecoverable (log) and records it failed (registry)', ok: named(second, 'gone/b.dat') && status.get('gone/b.dat') === 'failed', detail: `named ${named(second, 'gone/b.dat')}, status ${status.get('gone/b.dat') ?? 'none'}` });
        checks.push({ name: 'a. S, whose records survived, is not named and completes', ok: !named(second, 'kept/s.dat') && !m.lostPaths.includes('kept/s.dat'), detail: `named ${named(second, 'kept/s.dat')}` });
        checks.push({ name: 'a. restart carries on and exits 4: B failed as unrecoverable', ok: exit.code === 4, detail: `exit ${exit.code ?? exit.signal}` });
        Object.assign(total, { lost: total.lost + m.lost, wrong: total.wrong + m.wrong, duplicates: total.duplicates + m.duplicates, lostPaths: [...total.lostPaths, ...m.lostPaths], wrongDetails: [...total.wrongDetails, ...m.wrongDetails] });
        uncommitted += await kafka.uncommitted(topic, group);
      }

      // b. J's first chunks are durable in the staging journal; its third chunk is deleted unread.
      {
        const topic = `faults-s10b-${ctx.seed}-${Date.now()}`;
        const group = `${topic}-g`;
        await kafka.createTopic(topic, 1);
        const out = box.outputDir('out-b');
        const record = box.harnessFile('record-b.txt');
        const args: ConsumerArgs = { config, topic, group, outputDir: out, mode: 'disk', untilIdle: 7, nThreads: 2 };
        const j = recs('journaled/j.dat', rng.bytes(4 * 4096 - 11));
        const later = makeFiles(rng, { count: 3, prefix: 'after-j', maxChunks: 3 });
        const offsets = await kafka.produceTracked(topic, j.slice(0, 2));
        const first = runConsumer(args, { RECORD_FILE: record }, box.harnessFile('program-b.log'));
        const journaled = await until(async () => (await kafka.offsets(topic, group))[0]!.committed >= BigInt(offsets[1]!) + 1n, 30_000);
        first.kill('SIGTERM');
        const firstExit = await first.exited;
        const journalKeys = journaledKeys(join(out, STAGING_DIR_NAME));
        checks.push({ name: 'b. setup: J journaled and committed, then stopped by SIGTERM (exit 143)', ok: journaled && firstExit.code === 143 && journalKeys.includes('journaled/j.dat'), detail: `exit ${firstExit.code ?? firstExit.signal}, committed past J's chunks: ${journaled}` });
        const downOffsets = await kafka.produceTracked(topic, [j[2]!, j[3]!, ...[...later].flatMap(([p, d]) => recs(p, d))]);
        const cut = BigInt(downOffsets[1]!);
        await kafka.deleteRecordsBelow(topic, 0, cut);
        deleted += cut - BigInt(downOffsets[0]!);
        const second = runConsumer(args, { RECORD_FILE: record }, box.harnessFile('program-b.log'));
        const exit = await second.exited;
        const expected = expectedHashes(later);
        files += expected.size + 1;
        const m = await measure(await readRecordFile(record), { processed: expected }, [{ dir: out, topic, group, disk: true }]);
        const status = (await inProgressTable(out, topic, group)).find((r) => r.rel_filepath === 'journaled/j.dat')?.status;
        const staged = journaledKeys(join(out, STAGING_DIR_NAME));
        checks.push({ name: 'b. restart names journaled J unrecoverable and records it failed; its staging data is dropped', ok: named(second, 'journaled/j.dat') && status === 'failed' && !staged.includes('journaled/j.dat'), detail: `named ${named(second, 'journaled/j.dat')}, status ${status ?? 'none'}` });
        checks.push({ name: 'b. restart carries on and exits 4: J failed as unrecoverable', ok: exit.code === 4, detail: `exit ${exit.code ?? exit.signal}` });
        Object.assign(total, { lost: total.lost + m.lost, wrong: total.wrong + m.wrong, duplicates: total.duplicates + m.duplicates, lostPaths: [...total.lostPaths, ...m.lostPaths], wrongDetails: [...total.wrongDetails, ...m.wrongDetails] });
        uncommitted += await kafka.uncommitted(topic, group);
      }
      const outside = await box.outsideReport();
      return resultOf({ id: 10, title: this.title, started }, total, {
        files,
        faults: Number(deleted),
        faultsDetail: `${deleted} unread records deleted by deleteRecords while the consumer was down (2 topics)`,
        duplicateBound: 0,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted,
        checks,
        notes: ['expected unrecoverable, not counted as lost: gone/b.dat, journaled/j.dat', ...outside.entries.slice(0, 3)],
      });
    } finally {
      if (!ctx.keep) await box.cleanup();
    }
  },
};

/** Keys of the files the staging journal still holds (file lines without a later done line). */
function journaledKeys(stagingDir: string): string[] {
  if (!existsSync(stagingDir)) return [];
  const live = new Map<string, string>();
  for (const name of readdirSync(stagingDir).filter((n) => n.startsWith('journal-'))) {
    for (const raw of readFileSync(join(stagingDir, name), 'utf8').split('\n')) {
      try {
        const line = JSON.parse(raw) as { t: string; s: string; k?: string };
        if (line.t === 'f') live.set(line.s, line.k ?? '');
        if (line.t === 'd') live.delete(line.s);
      } catch {
        // a torn or empty line
      }
    }
  }
  return [...live.values()];
}
