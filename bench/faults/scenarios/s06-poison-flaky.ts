/**
 * 6. Poison files (processing always throws) and flaky ones (throws twice, then succeeds), in
 * `both` mode: flaky ones succeed on their third attempt, poison ones end `failed` in the
 * registry after the retry limit and are kept for `--retry_failed`, commits reach the end. Then
 * the poison is "fixed" and a `--retry_failed` run processes the kept copies.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { STAGING_DIR_NAME } from '../../../lib/sinks/disk-sink.js';
import { runConsumer, type ConsumerArgs } from '../consumer-process.js';
import { KafkaFixtures } from '../kafka-fixtures.js';
import { inProgressTable, measure, readRecordFile } from '../oracle.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Scenario } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { expectedHashes, interleaved, makeFiles } from '../test-files.js';

export const poisonAndFlaky: Scenario = {
  id: 6,
  title: 'poison and flaky files',
  quick: true,
  async run(ctx) {
    const started = Date.now();
    const rng = new SeededRandom(ctx.seed + 6);
    const box = await Sandbox.create('s06');
    try {
      const kafka = new KafkaFixtures(['127.0.0.1:9092']);
      const topic = `faults-s06-${ctx.seed}-${Date.now()}`;
      const group = `${topic}-g`;
      await kafka.createTopic(topic, 2);
      const files = makeFiles(rng, { count: 28, prefix: 'pf', maxChunks: 6 });
      const paths = [...files.keys()];
      const poison = paths.filter((_, i) => i % 7 === 3);
      const flaky = paths.filter((_, i) => i % 7 === 5);
      await kafka.produce(topic, interleaved(rng, files, 2));
      const config = await box.writeConfig('faults.config');
      const out = box.outputDir();
      const record = box.harnessFile('record.txt');
      const logFile = box.harnessFile('program.log');
      await box.watchOutside();
      const args: ConsumerArgs = { config, topic, group, outputDir: out, mode: 'both', untilIdle: 2, nThreads: 2, maxAttempts: 3 };
      const first = runConsumer(args, { RECORD_FILE: record, POISON_PATHS: poison.join(','), FLAKY_PATHS: flaky.join(',') }, logFile);
      const firstExit = await first.exited;
      const expected = expectedHashes(files);
      const poisonSet = new Set(poison);
      const afterFirst = await measure(await readRecordFile(record), {
        processed: new Map([...expected].filter(([p]) => !poisonSet.has(p))),
        failed: new Map([...expected].filter(([p]) => poisonSet.has(p))),
      }, [{ dir: out, topic, group, disk: true }]);
      const uncommittedFirst = await kafka.uncommitted(topic, group);
      const failedRows = (await inProgressTable(out, topic, group)).filter((r) => r.status === 'failed').map((r) => r.rel_filepath!);
      const kept = (await readdir(join(out, STAGING_DIR_NAME, 'failed')).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).length;
      const lines = await readRecordFile(record);
      const flakyAttempts = flaky.map((p) => lines.find((l) => l.path === p)?.attempt ?? 0);
      const poisonAttempts = poison.map((p) => first.lines.filter((l) => l.file === p && /^processing attempt/.test(String(l.msg))).length);
      // The fix is deployed: the same files, processed again from the kept copies.
      const retry = await runConsumer({ ...args, retryFailed: true }, { RECORD_FILE: record }, logFile).exited;
      const final = await measure(await readRecordFile(record), { processed: expected }, [{ dir: out, topic, group, disk: true }]);
      const failedAfterRetry = (await inProgressTable(out, topic, group)).filter((r) => r.status === 'failed').length;
      const outside = await box.outsideReport();
      return resultOf({ id: 6, title: this.title, started }, { ...final, lost: final.lost + afterFirst.lost, wrong: final.wrong + afterFirst.wrong, lostPaths: [...afterFirst.lostPaths, ...final.lostPaths], wrongDetails: [...afterFirst.wrongDetails, ...final.wrongDetails] }, {
        files: files.size,
        faults: poison.length + flaky.length,
        faultsDetail: `${poison.length} poison, ${flaky.length} flaky (max_attempts 3)`,
        duplicateBound: 0,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted: uncommittedFirst + (await kafka.uncommitted(topic, group)),
        checks: [
          { name: 'first run exits 4: the poison files failed', ok: firstExit.code === 4, detail: `exit ${firstExit.code ?? firstExit.signal}` },
          { name: 'flaky files succeed on attempt 3', ok: flakyAttempts.every((a) => a === 3), detail: flakyAttempts.join(',') },
          { name: 'poison files attempted 3 times each', ok: poisonAttempts.every((a) => a === 3), detail: poisonAttempts.join(',') },
          { name: 'poison files end `failed` in the registry', ok: poison.every((p) => failedRows.includes(p)), detail: `${failedRows.length} failed rows` },
          { name: 'poison files kept for --retry_failed', ok: kept === poison.length, detail: `${kept} kept` },
          { name: 'commits reach the end despite failures', ok: uncommittedFirst === 0, detail: `${uncommittedFirst} uncommitted after the first run` },
          { name: '--retry_failed processes the kept copies and exits 0: nothing failed again', ok: retry.code === 0 && failedAfterRetry === 0, detail: `exit ${retry.code ?? retry.signal}, ${failedAfterRetry} failed rows left` },
        ],
        notes: [...outside.entries.slice(0, 3)],
      });
    } finally {
      if (!ctx.keep) await box.cleanup();
    }
  },
};
