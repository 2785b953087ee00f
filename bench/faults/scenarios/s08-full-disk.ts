/**
 * 8. Full disk: the output directory is a small tmpfs (needs root for `mount`; skipped with a
 * note otherwise) with a ballast file leaving too little room for the topic's files. The program
 * must never put a partial or wrong file at a final path (the tree is sampled every 50 ms while
 * it runs), and must pause or stop with a clear message. Then the ballast is removed (space
 * freed) and it restarts: every file completes, processed exactly once over both runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { runConsumer, type ConsumerArgs } from '../consumer-process.js';
import { KafkaFixtures } from '../kafka-fixtures.js';
import { finalFiles, measure, readRecordFile } from '../oracle.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Scenario } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { byFile, expectedHashes, makeFiles } from '../test-files.js';

const CHUNK = 65536;

export const fullDisk: Scenario = {
  id: 8,
  title: 'full disk (tmpfs output directory)',
  quick: false,
  async run(ctx) {
    const started = Date.now();
    const rng = new SeededRandom(ctx.seed + 8);
    const box = await Sandbox.create('s08');
    const vol = box.harnessFile('vol');
    let mounted = false;
    try {
      await mkdir(vol, { recursive: true });
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0755', 'tmpfs', vol], { stdio: 'pipe' });
        mounted = true;
      } catch (err) {
        return {
          id: 8, title: this.title, files: 0, faults: 0, faultsDetail: '', lost: 0, wrong: 0, duplicates: 0, outsideBytes: 0, outsideEntries: 0, uncommitted: 0,
          checks: [], notes: [], seconds: 0, skipped: `cannot mount a tmpfs here (${String((err as Error).message).split('\n')[0]}); run as root`,
        };
      }
      const kafka = new KafkaFixtures(['127.0.0.1:9092']);
      const topic = `faults-s08-${ctx.seed}-${Date.now()}`;
      const group = `${topic}-g`;
      await kafka.createTopic(topic, 2);
      const files = makeFiles(rng, { count: 24, prefix: 'full', minChunks: 2, maxChunks: 5, chunkSize: CHUNK });
      const bytes = [...files.values()].reduce((n, d) => n + d.length, 0);
      await kafka.produce(topic, byFile(rng, files, CHUNK));
      const config = await box.writeConfig('faults.config');
      const out = join(vol, 'out');
      const ballast = join(vol, 'ballast.bin');
      // Leave room for about a third of the files.
      const free = (): number => { const s = statfsSync(vol); return s.bavail * s.bsize; };
      await writeFile(ballast, Buffer.alloc(Math.max(0, free() - Math.floor(bytes / 3))));
      const record = box.harnessFile('record.txt');
      const logFile = box.harnessFile('program.log');
      await box.watchOutside();
      const expected = expectedHashes(files);
      const args: ConsumerArgs = { config, topic, group, outputDir: out, mode: 'disk', untilIdle: 3, nThreads: 2 };
      // Sample every final path while the program runs: a file there must be whole and right.
      let samples = 0;
      const badSightings = new Set<string>();
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          for (const [path, sha] of await finalFiles(out)) if (expected.get(path) !== sha) badSightings.add(path);
          samples++;
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const first = runConsumer(args, { RECORD_FILE: record }, logFile, 60_000);
      const firstExit = await first.exited;
      const diskFull = first.lines.filter((l) => /disk is full|ENOSPC|no space/i.test(`${l.msg ?? ''} ${JSON.stringify(l.err ?? '')}`));
      const processedFirst = new Set((await readRecordFile(record)).map((l) => l.path)).size;
      await rm(ballast);
      const second = runConsumer(args, { RECORD_FILE: record }, logFile);
      const secondExit = await second.exited;
      sampling = false;
      await sampler;
      const m = await measure(await readRecordFile(record), { processed: expected }, [{ dir: out, topic, group, disk: true }]);
      const outside = await box.outsideReport();
      const message = diskFull[0] ? String(diskFull[0].msg).slice(0, 160) : '(none)';
      return resultOf({ id: 8, title: this.title, started }, { ...m, wrong: m.wrong + badSightings.size, wrongDetails: [...m.wrongDetails, ...[...badSightings].map((p) => `partial/wrong file seen at final path ${p}`)] }, {
        files: files.size,
        faults: 1,
        faultsDetail: `tmpfs of 8 MiB, ballast leaving ~${Math.round(bytes / 3 / 1024)} KiB for ${Math.round(bytes / 1024)} KiB of files`,
        duplicateBound: 0,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted: await kafka.uncommitted(topic, group),
        checks: [
          { name: 'the disk filled up during the first run', ok: processedFirst < files.size, detail: `${processedFirst} of ${files.size} files processed before it` },
          { name: 'the program stopped or paused with a clear message', ok: diskFull.length > 0, detail: `exit ${firstExit.code ?? firstExit.signal}; "${message}"` },
          { name: `no partial or wrong file at a final path (${samples} samples of the tree)`, ok: badSightings.size === 0, detail: `${badSightings.size} bad sightings` },
          { name: 'after space was freed the restart completes every file and exits 0', ok: secondExit.code === 0 && m.lost === 0, detail: `exit ${secondExit.code ?? secondExit.signal}` },
          { name: 'every file processed exactly once over both runs', ok: m.duplicates === 0 && m.lost === 0, detail: `${m.duplicates} duplicates` },
        ],
        notes: [...outside.entries.slice(0, 3)],
      });
    } finally {
      if (mounted) {
        try {
          execFileSync('umount', [vol], { stdio: 'pipe' });
        } catch {
          execFileSync('umount', ['-l', vol], { stdio: 'pipe' });
        }
      }
      if (!ctx.keep || !mounted) await box.cleanup();
    }
  },
};
