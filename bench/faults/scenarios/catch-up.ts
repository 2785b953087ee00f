/**
 * After the faults: run the program (no faults) until it exits on its own with everything
 * committed, at most `maxRuns` times. Returns the last exit and how many runs it took.
 */
import { runConsumer, type ConsumerArgs, type ProcessExit } from '../consumer-process.js';
import type { KafkaFixtures } from '../kafka-fixtures.js';

export async function catchUp(
  kafka: KafkaFixtures,
  args: ConsumerArgs,
  env: Record<string, string>,
  logFile: string,
  topic: string,
  group: string,
  maxRuns = 3,
): Promise<ProcessExit & { runs: number }> {
  let exit: ProcessExit = { code: null, signal: null, ms: 0 };
  let runs = 0;
  while (runs < maxRuns) {
    runs++;
    exit = await runConsumer(args, env, logFile, 180_000).exited;
    if (exit.code === 0 && (await kafka.uncommitted(topic, group)) === 0) break;
  }
  return { ...exit, runs };
}
