/**
 * 3. Broker kill -9 mid-stream, restarted after a few seconds. A private broker (127.0.0.1:19192,
 * data in the sandbox) serves an uploader (`datafile-stream upload-directory`, files appearing
 * in its directory throughout) and a consumer (disk mode). The broker's JVM is SIGKILLed while
 * both are busy, left down for 4 s, and restarted on the same data. Neither program is
 * restarted: both must recover on their own, and every file written must be processed with its
 * bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProgramRun, runConsumer, sleep, type ConsumerArgs } from '../consumer-process.js';
import { KafkaFixtures } from '../kafka-fixtures.js';
import { measure, readRecordFile } from '../oracle.js';
import { PrivateBroker } from '../private-broker.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Scenario } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { expectedHashes } from '../test-files.js';

export const brokerKill: Scenario = {
  id: 3,
  title: 'broker kill -9 and restart',
  quick: false,
  async run(ctx) {
    const started = Date.now();
    const rng = new SeededRandom(ctx.seed + 3);
    const box = await Sandbox.create('s03');
    const broker = new PrivateBroker(box.harnessFile('broker'));
    const runs: ProgramRun[] = [];
    try {
      await broker.start();
      const kafka = new KafkaFixtures([`127.0.0.1:${broker.port}`]);
      const topic = `faults-s03-${ctx.seed}`;
      const group = `${topic}-g`;
      await kafka.createTopic(topic, 3);
      const config = await box.writeConfig('faults.config', { port: broker.port });
      const uploadDir = box.harnessFile('upload'); // the uploader's own tree (and its LOGS/)
      await mkdir(uploadDir, { recursive: true });
      const record = box.harnessFile('record.txt');
      const out = box.outputDir();
      await box.watchOutside();
      const uploader = new ProgramRun(
        ['upload-directory', uploadDir, '--config', config, '--topic_name', topic, '--chunk_size', '16384', '--watchdog_lag_time', '1', '--logger_stream_level', 'info'],
        {},
        box.harnessFile('uploader.log'),
        600_000,
      );
      const args: ConsumerArgs = { config, topic, group, outputDir: out, mode: 'disk', nThreads: 2 };
      const consumer = runConsumer(args, { RECORD_FILE: record, SLOW_MS: '100' }, box.harnessFile('consumer.log'), 600_000);
      runs.push(uploader, consumer);
      // Mid-stream means both are up and working: wait for the consumer's assignment first.
      const ready = Date.now() + 60_000;
      while (Date.now() < ready && consumer.count('partitions assigned') === 0 && consumer.running) await sleep(200);
      const files = new Map<string, Buffer>();
      const count = ctx.quick ? 24 : 48;
      const killAt = Math.floor(count / 3);
      let downMs = 0;
      for (let i = 0; i < count; i++) {
        const rel = `run${i % 3}/file_${String(i).padStart(3, '0')}.dat`;
        const data = rng.bytes(rng.int(20_000, 200_000));
        files.set(rel, data);
        await mkdir(join(uploadDir, `run${i % 3}`), { recursive: true });
        await writeFile(join(uploadDir, rel), data);
        await sleep(250);
        if (i === killAt) {
          broker.kill9();
          ctx.log('  broker SIGKILLed');
          const down = Date.now();
          await sleep(4000);
          await broker.start();
          downMs = Date.now() - down;
          ctx.log(`  broker back after ${downMs} ms`);
        }
      }
      // Both programs carry on by themselves: wait until every file was processed (or 3 min).
      const expected = expectedHashes(files);
      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline) {
        const seen = new Set((await readRecordFile(record)).map((l) => l.path));
        if ([...expected.keys()].every((p) => seen.has(p))) break;
        await sleep(1000);
      }
      await sleep(3000);
      const uploaderAlive = uploader.running;
      const consumerAlive = consumer.running;
      uploader.kill('SIGTERM');
      consumer.kill('SIGTERM');
      const [eu, ec] = await Promise.all([uploader.exited, consumer.exited]);
      const m = await measure(await readRecordFile(record), { processed: expected }, [{ dir: out, topic, group, disk: true }]);
      const failedUploads = uploader.lines.filter((l) => /upload failed/.test(String(l.msg ?? ''))).length;
      const outside = await box.outsideReport();
      return resultOf({ id: 3, title: this.title, started }, m, {
        files: files.size,
        faults: 1,
        faultsDetail: `broker JVM SIGKILLed after file ${killAt + 1} of ${count}, back after ${(downMs / 1000).toFixed(1)} s`,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted: await kafka.uncommitted(topic, group),
        checks: [
          { name: 'uploader and consumer stayed up through the outage (recovered on their own)', ok: uploaderAlive && consumerAlive, detail: `uploader ${uploaderAlive ? 'running' : 'exited'}, consumer ${consumerAlive ? 'running' : 'exited'}` },
          { name: 'both stopped cleanly afterwards (stopped by SIGTERM: both exit 143, 128 + SIGTERM)', ok: eu.code === 143 && ec.code === 143, detail: `uploader exit ${eu.code ?? eu.signal}, consumer exit ${ec.code ?? ec.signal}` },
          { name: 'no upload given up', ok: failedUploads === 0, detail: `${failedUploads} "upload failed" log lines` },
        ],
        notes: [`uploader: ${uploader.count(/^upload interrupted, will retry/)} uploads interrupted by the outage and retried`, `consumer: ${consumer.count('partitions assigned')} assignments`, ...outside.entries.slice(0, 3)],
      });
    } finally {
      for (const r of runs) r.kill('SIGKILL');
      await broker.stop();
      if (!ctx.keep) await box.cleanup();
    }
  },
};
