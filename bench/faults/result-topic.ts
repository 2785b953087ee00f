/**
 * The reproducer scenarios' oracle: what a reader of the result topic sees, measured against the
 * files that were uploaded. The harness states the contract on its own (it does not call lib's
 * key function): a file's result is keyed `<subdir with / as _>_<filename>_chunk_processing_result`
 * and its value is fault-reproducer.ts's JSON (path, size, sha512 of the uploaded bytes).
 *
 *   lost        uploaded files without a result whose content is right
 *   wrong       results whose content is not the file's, or keyed for a file nobody uploaded
 *   duplicates  right results beyond the first per file
 */
import { randomBytes } from 'node:crypto';
import { createKafka } from '../../lib/kafka/kafka-client.js';
import type { Measured } from './oracle.js';
import { sha512Hex } from './test-files.js';

export interface ResultRecord {
  key: string;
  value: string;
}

export function resultKey(relPath: string): string {
  const parts = relPath.split('/');
  const filename = parts.pop()!;
  return `${parts.join('_')}_${filename}_chunk_processing_result`;
}

/**
 * Every record of `topic` from the beginning, as a reader with read_committed (kafkajs
 * `readUncommitted: false`) or read_uncommitted sees it. Reads until at least `atLeast` records
 * came and then none for `quietMs`, or `timeoutMs` passed (a lost result ends the wait there).
 */
export async function readResults(
  brokers: string[],
  topic: string,
  o: { committed: boolean; atLeast: number; quietMs?: number; timeoutMs?: number },
): Promise<ResultRecord[]> {
  // kafkajs whatever $DATAFILE_STREAM_KAFKA_ENGINE says: its isolation level is the one under test.
  const kafka = createKafka({ brokers, clientId: 'dfs-faults-results', engine: 'kafkajs' });
  const consumer = kafka.consumer({ groupId: `faults-reader-${randomBytes(6).toString('hex')}`, readUncommitted: !o.committed, sessionTimeout: 6000, heartbeatInterval: 2000 });
  const seen: ResultRecord[] = [];
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        seen.push({ key: message.key?.toString('utf8') ?? '', value: message.value?.toString('utf8') ?? '' });
        last = Date.now();
      },
    });
    const deadline = Date.now() + (o.timeoutMs ?? 60_000);
    const quiet = o.quietMs ?? 3000;
    while (Date.now() < deadline && (seen.length < o.atLeast || Date.now() - last < quiet)) await new Promise((r) => setTimeout(r, 200));
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return seen;
}

export function measureResults(seen: ResultRecord[], files: Map<string, Buffer>): Measured {
  const want = new Map([...files].map(([path, data]) => [resultKey(path), { path, size: data.length, sha512: sha512Hex(data) }]));
  const good = new Map<string, number>();
  const wrongDetails: string[] = [];
  for (const r of seen) {
    const expected = want.get(r.key);
    if (!expected) {
      wrongDetails.push(`a result for a file nobody uploaded: ${r.key}`);
      continue;
    }
    let got: { path?: unknown; size?: unknown; sha512?: unknown } = {};
    try {
      got = JSON.parse(r.value) as typeof got;
    } catch {
      // not JSON: counted wrong below
    }
    if (got.path !== expected.path || got.size !== expected.size || got.sha512 !== expected.sha512) {
      wrongDetails.push(`result of ${expected.path} does not match its bytes: ${r.value.slice(0, 80)}`);
      continue;
    }
    good.set(r.key, (good.get(r.key) ?? 0) + 1);
  }
  const lostPaths = [...want].filter(([key]) => !good.has(key)).map(([, e]) => e.path);
  let duplicates = 0;
  for (const n of good.values()) duplicates += n - 1;
  return { lost: lostPaths.length, wrong: wrongDetails.length, duplicates, lostPaths, wrongDetails, calls: seen.length };
}
