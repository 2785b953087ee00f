/**
 * Scenario 5b: a partial file handed over between group members. Member A holds the first half
 * of a file until its staging journal made it durable and the group committed past it; A is
 * SIGKILLed; B takes the partition over and receives the second half (and journals it); A comes
 * back; then both run until caught up. The file must still be processed by someone.
 */
import { runConsumer, sleep, type ConsumerArgs } from '../consumer-process.js';
import type { KafkaFixtures } from '../kafka-fixtures.js';
import { measure, readRecordFile, type Measured } from '../oracle.js';
import type { Sandbox } from '../sandbox.js';
import type { Check } from '../scenario.js';
import type { SeededRandom } from '../seeded-random.js';
import { byFile, expectedHashes, makeFiles } from '../test-files.js';

export interface HandoverResult {
  files: number;
  measured: Measured;
  uncommitted: number;
  checks: Check[];
}

async function until(what: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await what()) return true;
    await sleep(250);
  }
  return false;
}

export async function partialFileHandover(rng: SeededRandom, box: Sandbox, kafka: KafkaFixtures, config: string, label: string): Promise<HandoverResult> {
  const topic = `faults-s05b-${label}-${Date.now()}`;
  const group = `${topic}-g`;
  await kafka.createTopic(topic, 2);
  const file = makeFiles(rng, { count: 1, prefix: 'handover', minChunks: 6, maxChunks: 6 });
  const records = byFile(rng, file);
  const record = box.harnessFile('record-handover.txt');
  const argsA: ConsumerArgs = { config, topic, group, outputDir: box.outputDir('handover-a'), mode: 'disk' };
  const argsB: ConsumerArgs = { config, topic, group, outputDir: box.outputDir('handover-b'), mode: 'disk' };
  const committedPast = (n: number) => async () => (await kafka.offsets(topic, group)).some((p) => p.committed >= BigInt(n));
  await kafka.produce(topic, records.slice(0, 3));
  let a = runConsumer(argsA, { RECORD_FILE: record }, box.harnessFile('handover-a.log'));
  const headCommitted = await until(committedPast(3), 30_000);
  a.kill('SIGKILL');
  await a.exited;
  const b = runConsumer(argsB, { RECORD_FILE: record }, box.harnessFile('handover-b.log'));
  await until(async () => b.count('partitions assigned') > 0, 30_000);
  await kafka.produce(topic, records.slice(3));
  const tailCommitted = await until(committedPast(6), 30_000);
  a = runConsumer(argsA, { RECORD_FILE: record }, box.harnessFile('handover-a.log'));
  await sleep(8000);
  b.kill('SIGTERM');
  const stoppedB = await b.exited;
  a.kill('SIGTERM');
  const stoppedA = await a.exited;
  const final = [
    runConsumer({ ...argsA, untilIdle: 8 }, { RECORD_FILE: record }, box.harnessFile('handover-a.log')),
    runConsumer({ ...argsB, untilIdle: 8 }, { RECORD_FILE: record }, box.harnessFile('handover-b.log')),
  ];
  const exits = await Promise.all(final.map((r) => r.exited));
  const measured = await measure(await readRecordFile(record), { processed: expectedHashes(file) }, [
    { dir: argsA.outputDir, topic, group, disk: true },
    { dir: argsB.outputDir, topic, group, disk: true },
  ]);
  return {
    files: file.size,
    measured,
    uncommitted: await kafka.uncommitted(topic, group),
    checks: [
      { name: 'b. setup: A journaled and committed the first half, B the second', ok: headCommitted && tailCommitted, detail: `head committed ${headCommitted}, tail committed ${tailCommitted}` },
      { name: 'b. the handed-over file is processed by one of the members', ok: measured.lost === 0, detail: measured.lost ? 'lost: its halves sit in the staging journals of two members, both committed past' : 'processed' },
      { name: 'b. B, then A, stopped by SIGTERM exit 143', ok: stoppedB.code === 143 && stoppedA.code === 143, detail: `B ${stoppedB.code ?? stoppedB.signal}, A ${stoppedA.code ?? stoppedA.signal}` },
      { name: 'b. final runs exit 0: idle, no file failed', ok: exits.every((e) => e.code === 0), detail: exits.map((e) => e.code ?? e.signal).join(', ') },
    ],
  };
}
