/**
 * After the faults: run the program (no faults) until a run ends by itself with everything
 * committed, at most `maxRuns` times. Returns the last exit, how many runs it took and every
 * run's exit code.
 *
 * A run that ends with 4 (files failed or records rejected in it) also ends the loop when nothing
 * is left uncommitted: another run would find those files settled, exit 0 and hide the failure.
 * The callers check the codes (the README's numbers, not lib's constants: the oracle states the
 * contract on its own).
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
): Promise<ProcessExit & { runs: number; codes: Array<number | NodeJS.Signals | null> }> {
  let exit: ProcessExit = { code: null, signal: null, ms: 0 };
  const codes: Array<number | NodeJS.Signals | null> = [];
  while (codes.length < maxRuns) {
    exit = await runConsumer(args, env, logFile, 180_000).exited;
    codes.push(exit.code ?? exit.signal);
    const finished = exit.code === 0 || exit.code === 4;
    if (finished && (await kafka.uncommitted(topic, group)) === 0) break;
  }
  return { ...exit, runs: codes.length, codes };
}
