/**
 * 7. A processor that hangs: `--process_timeout` turns each hung attempt into a failed one, so
 * files that hang every time end `failed` and files that hang once succeed on the retry; the
 * stall lasts longer than the session timeout, yet the member is never thrown out of its group
 * (one assignment in the whole run: heartbeats continued), and other files flow meanwhile.
 */
import { runConsumer, type ConsumerArgs } from '../consumer-process.js';
import { KafkaFixtures } from '../kafka-fixtures.js';
import { measure, readRecordFile } from '../oracle.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Scenario } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { expectedHashes, interleaved, makeFiles } from '../test-files.js';

const TIMEOUT_S = 3;
const ATTEMPTS = 3;

export const hangingProcessor: Scenario = {
  id: 7,
  title: 'hanging processor',
  quick: true,
  async run(ctx) {
    const started = Date.now();
    const rng = new SeededRandom(ctx.seed + 7);
    const box = await Sandbox.create('s07');
    try {
      const kafka = new KafkaFixtures(['127.0.0.1:9092']);
      const topic = `faults-s07-${ctx.seed}-${Date.now()}`;
      const group = `${topic}-g`;
      await kafka.createTopic(topic, 2);
      const files = makeFiles(rng, { count: 24, prefix: 'hang', maxChunks: 6 });
      const paths = [...files.keys()];
      const hang = [paths[2]!, paths[9]!];
      const hangOnce = [paths[5]!, paths[14]!];
      await kafka.produce(topic, interleaved(rng, files, 2));
      const config = await box.writeConfig('faults.config', { sessionTimeoutMs: 6000, heartbeatIntervalMs: 2000 });
      const out = box.outputDir();
      const record = box.harnessFile('record.txt');
      await box.watchOutside();
      const args: ConsumerArgs = { config, topic, group, outputDir: out, mode: 'memory', untilIdle: 2, nThreads: 3, processTimeout: TIMEOUT_S, maxAttempts: ATTEMPTS };
      const run = runConsumer(args, { RECORD_FILE: record, HANG_PATHS: hang.join(','), HANG_ONCE_PATHS: hangOnce.join(','), SLOW_MS: '100' }, box.harnessFile('program.log'));
      const exit = await run.exited;
      const expected = expectedHashes(files);
      const hangSet = new Set(hang);
      const lines = await readRecordFile(record);
      const m = await measure(lines, {
        processed: new Map([...expected].filter(([p]) => !hangSet.has(p))),
        failed: new Map([...expected].filter(([p]) => hangSet.has(p))),
      }, [{ dir: out, topic, group, disk: false }]);
      const timeouts = run.withCode('ERR_PROCESSING_TIMEOUT').filter((l) => /^processing attempt/.test(String(l.msg)));
      const assignments = run.count('partitions assigned');
      const stallStart = Math.min(...timeouts.map((l) => Number(l.time))) - TIMEOUT_S * 1000;
      const stallEnd = Math.max(...timeouts.map((l) => Number(l.time)));
      const flowed = lines.filter((l) => !hangSet.has(l.path) && l.ms > stallStart && l.ms < stallEnd).length;
      const onceAttempts = hangOnce.map((p) => lines.find((l) => l.path === p)?.attempt ?? 0);
      const outside = await box.outsideReport();
      return resultOf({ id: 7, title: this.title, started }, m, {
        files: files.size,
        faults: hang.length * ATTEMPTS + hangOnce.length,
        faultsDetail: `${hang.length} files hang every attempt, ${hangOnce.length} hang once (timeout ${TIMEOUT_S} s, ${ATTEMPTS} attempts)`,
        duplicateBound: 0,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted: await kafka.uncommitted(topic, group),
        checks: [
          { name: 'run exits 4: the files that hang every attempt failed', ok: exit.code === 4, detail: `exit ${exit.code ?? exit.signal}` },
          { name: 'every hung attempt timed out (ERR_PROCESSING_TIMEOUT)', ok: timeouts.length === hang.length * ATTEMPTS + hangOnce.length, detail: `${timeouts.length} timeouts` },
          { name: 'files that hang once succeed on attempt 2', ok: onceAttempts.every((a) => a === 2), detail: onceAttempts.join(',') },
          { name: 'no rebalance: one assignment (heartbeats continued through a stall longer than the 6 s session)', ok: assignments === 1, detail: `${assignments} assignments, stall ${Math.round((stallEnd - stallStart) / 1000)} s` },
          { name: 'other files flowed during the stall', ok: flowed > 0, detail: `${flowed} files processed meanwhile` },
        ],
        notes: [...outside.entries.slice(0, 3)],
      });
    } finally {
      if (!ctx.keep) await box.cleanup();
    }
  },
};
