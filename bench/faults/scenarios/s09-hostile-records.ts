/**
 * 9. Hostile and broken records: every class of SPEC §4 (path traversal in both fields,
 * absolute and Windows paths, NUL, symlinks planted in the output directory, corrupt chunk,
 * wrong file hash, oversized totals and offsets, truncated and garbage msgpack, JSON and
 * tombstone records, key/value disagreement) plus 1,000 seeded mutations of valid records of
 * sacrificial files, all shuffled among good files over 3 partitions, consumed once in disk mode
 * and once in memory mode: the program never exits abnormally (it exits 4: records were rejected), nothing is written outside the
 * output directory, every good file is intact, every bad record is recorded with its reason.
 *
 * One kind of bad record is judged by what disk mode promises rather than by its own hash: a
 * record whose chunk_hash field alone was corrupted, its bytes intact. Disk mode verifies chunk
 * bytes by their file's hash and checks a chunk's own hash only when that fails (or a copy of it
 * comes, or its file never completes), so such a record's bytes are used, proven by the file
 * hash, and it is recorded only when something brought it to light. The table counts them.
 */
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runConsumer, type ConsumerArgs } from '../consumer-process.js';
import { fuzzRecords, hostileCases, symlinkCases, type HostileCase } from '../hostile-records.js';
import { KafkaFixtures, type RawRecord } from '../kafka-fixtures.js';
import { inProgressTable, measure, readRecordFile, rejectedTable, type Measured } from '../oracle.js';
import { Sandbox } from '../sandbox.js';
import { resultOf, type Check, type Scenario } from '../scenario.js';
import { SeededRandom } from '../seeded-random.js';
import { decodeChunk } from '../../../lib/codec/chunk-codec.js';
import { sha512 } from '../../../lib/codec/chunk-hash.js';
import { chunksOf, expectedHashes, interleaved, makeFiles, recordOf } from '../test-files.js';

const PARTITIONS = 3;

export const hostileRecords: Scenario = {
  id: 9,
  title: 'hostile records and fuzzed mutations',
  quick: true,
  async run(ctx) {
    const started = Date.now();
    const rng = new SeededRandom(ctx.seed + 9);
    const box = await Sandbox.create('s09');
    try {
      const kafka = new KafkaFixtures(['127.0.0.1:9092']);
      const topic = `faults-s09-${ctx.seed}-${Date.now()}`;
      await kafka.createTopic(topic, PARTITIONS);
      const good = makeFiles(rng, { count: ctx.quick ? 16 : 30, prefix: 'good', maxChunks: 6 });
      const cases: HostileCase[] = [...hostileCases(rng, box.outside, box.canary(`s09-${ctx.seed}`)), ...symlinkCases()];
      const victims = makeFiles(rng, { count: 40, prefix: 'fuzz', minChunks: 2, maxChunks: 5, chunkSize: 256 });
      const victimRecords = [...victims].flatMap(([path, data]) => chunksOf(path, data, 256).map((c) => recordOf(c, rng.int(0, PARTITIONS - 1))));
      const victimHashes = new Set([...victims].flatMap(([path, data]) => chunksOf(path, data, 256).map((c) => c.chunkHash.toString('hex'))));
      const fuzzCount = ctx.quick ? 300 : 1000;
      const fuzz = fuzzRecords(rng, victimRecords, fuzzCount);
      const originals = victimRecords.filter((_, i) => i % 2 === 0);
      type Tagged = RawRecord & { tag: string; bad?: string };
      const all: Tagged[] = [
        ...interleaved(rng, good, PARTITIONS).map((r) => ({ ...r, tag: 'good' })),
        ...cases.flatMap((c, i) => c.records.map((r) => ({ ...r, partition: rng.int(0, PARTITIONS - 1), tag: `case${i}` }))),
        ...fuzz.map((r) => ({ ...r, tag: 'fuzz', ...(r.badCode !== undefined && { bad: r.badCode }) })),
        ...originals.map((r) => ({ ...r, tag: 'original' })),
      ];
      rng.shuffle(all);
      const offsets = await kafka.produceTracked(topic, all);
      const position = (i: number): string => `${all[i]!.partition}@${offsets[i]}`;
      const config = await box.writeConfig('faults.config');
      const expected = expectedHashes(good);
      const mustNotIn = (mode: string): Set<string> => new Set(cases.filter((c) => c.expect === 'mismatched_hash' || (c.expect === 'failed' && mode === 'disk')).map((c) => c.path!));
      const total: Measured = { lost: 0, wrong: 0, duplicates: 0, lostPaths: [], wrongDetails: [], calls: 0 };
      const checks: Check[] = [];
      const notes: string[] = [];
      let uncommitted = 0;
      const outs: Array<{ mode: 'disk' | 'memory'; out: string; group: string }> = [
        { mode: 'disk', out: box.outputDir('out-disk'), group: `${topic}-disk` },
        { mode: 'memory', out: box.outputDir('out-memory'), group: `${topic}-memory` },
      ];
      for (const { out } of outs) {
        await mkdir(join(out, 'deep'), { recursive: true });
        await symlink(join(box.outside, 'dir'), join(out, 'planted'));
        await symlink(join(box.outside, 'dir'), join(out, 'deep', 'link'));
        await symlink(join(box.outside, 'victim.txt'), join(out, 'linked.dat'));
      }
      await box.watchOutside();
      for (const { mode, out, group } of outs) {
        const record = box.harnessFile(`record-${mode}.txt`);
        const args: ConsumerArgs = { config, topic, group, outputDir: out, mode, untilIdle: 7, nThreads: 2 };
        const run = runConsumer(args, { RECORD_FILE: record }, box.harnessFile(`program-${mode}.log`), 240_000);
        const exit = await run.exited;
        const m = await measure(await readRecordFile(record), { processed: expected, mayProcess: (p) => !expected.has(p) && !mustNotIn(mode).has(p) }, [{ dir: out, topic, group, disk: mode === 'disk' }]);
        total.lost += m.lost;
        total.wrong += m.wrong;
        total.duplicates += m.duplicates;
        total.lostPaths.push(...m.lostPaths.map((p) => `${mode}: ${p}`));
        total.wrongDetails.push(...m.wrongDetails.map((p) => `${mode}: ${p}`));
        uncommitted += await kafka.uncommitted(topic, group);
        const rejected = new Map((await rejectedTable(out, topic, group)).map((r) => [`${r.partition}@${r.offset}`, r]));
        const status = new Map((await inProgressTable(out, topic, group)).map((r) => [r.rel_filepath!, r.status!]));
        const errors = run.count(/^consumer stopped on an error/);
        checks.push({ name: `${mode}: the program exits 4 (records were rejected; never abnormally)`, ok: exit.code === 4 && errors === 0, detail: `exit ${exit.code ?? exit.signal} after ${Math.round(exit.ms / 1000)} s${errors ? `, ${errors} fatal errors` : ''}` });
        const missed: string[] = [];
        for (const [ci, c] of cases.entries()) {
          if (c.expect === 'rejected') {
            for (let i = 0; i < all.length; i++) {
              if (all[i]!.tag !== `case${ci}`) continue;
              const row = rejected.get(position(i));
              if (!row || !row.code || !row.reason) missed.push(c.label);
            }
          } else if (c.expect === 'mismatched_hash' || (c.expect === 'failed' && mode === 'disk')) {
            // Memory mode writes no file, so a symlink in the output tree is never in the way.
            if (status.get(c.path!) !== c.expect) missed.push(`${c.label} (registry says ${status.get(c.path!) ?? 'nothing'})`);
          }
        }
        checks.push({ name: `${mode}: every hostile record recorded with its reason (${cases.length} cases)`, ok: missed.length === 0, detail: missed.length ? `missing: ${missed.join('; ')}` : `${rejected.size} rejected rows` });
        let fuzzBad = 0;
        let hashFieldOnly = 0;
        const fuzzMissed: string[] = [];
        for (let i = 0; i < all.length; i++) {
          const r = all[i]!;
          if (r.tag !== 'fuzz' || r.bad === undefined) continue;
          fuzzBad++;
          const row = rejected.get(position(i));
          if (row?.reason) continue;
          if (mode === 'disk' && onlyHashFieldCorrupt(r.value, victimHashes)) hashFieldOnly++;
          else fuzzMissed.push(`${position(i)} ${r.bad}`);
        }
        const asUsed = hashFieldOnly > 0 ? `; ${hashFieldOnly} with only chunk_hash corrupt used, their bytes proven by the file hash` : '';
        checks.push({ name: `${mode}: every fuzzed record that is bad input has a rejected row`, ok: fuzzMissed.length === 0, detail: `${fuzzBad} of ${fuzzCount} bad, ${fuzzMissed.length} unrecorded${fuzzMissed.length ? ` (${fuzzMissed.slice(0, 3).join(', ')})` : ''}${asUsed}` });
        const codes = new Map<string, number>();
        for (const row of rejected.values()) codes.set(row.code!, (codes.get(row.code!) ?? 0) + 1);
        notes.push(`${mode}: rejected rows by code: ${[...codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
        const victimsDone = [...status.values()].length;
        notes.push(`${mode}: ${m.calls} processing calls; ${victimsDone} registry rows in progress/failed/mismatched`);
        ctx.log(`  ${mode}: exit ${exit.code}, lost ${m.lost}, wrong ${m.wrong}, ${rejected.size} rejected rows`);
      }
      const outside = await box.outsideReport();
      const mutations = new Map<string, number>();
      for (const f of fuzz) mutations.set(f.mutation, (mutations.get(f.mutation) ?? 0) + 1);
      notes.push(`mutations: ${[...mutations].map(([k, n]) => `${k} ${n}`).join(', ')}; ${fuzz.filter((f) => f.badCode === undefined).length} still decoded as valid chunks`);
      const hostileRecordsCount = cases.reduce((n, c) => n + c.records.length, 0);
      return resultOf({ id: 9, title: this.title, started }, total, {
        files: good.size,
        faults: hostileRecordsCount + fuzz.length,
        faultsDetail: `${hostileRecordsCount} hostile records in ${cases.length} cases + ${fuzz.length} fuzzed mutations (+ ${originals.length} valid records of the fuzzed files), disk and memory mode`,
        outsideBytes: outside.bytes,
        outsideEntries: outside.entries.length,
        uncommitted,
        checks,
        notes: [...notes, ...outside.entries.slice(0, 5)],
      });
    } finally {
      if (!ctx.keep) await box.cleanup();
    }
  },
};

/** A chunk record whose bytes are intact (they are one of the victims' chunks) and whose chunk_hash field is not their hash. */
function onlyHashFieldCorrupt(value: Buffer | null, victimHashes: ReadonlySet<string>): boolean {
  try {
    const chunk = decodeChunk(value, { verifyHash: false });
    return !sha512(chunk.data).equals(chunk.chunkHash) && victimHashes.has(sha512(chunk.data).toString('hex'));
  } catch {
    return false;
  }
}
