/**
 * `npm run faults [-- --quick] [--only 1,3] [--seed N] [--keep] [--out FILE]`: the fault matrix
 * (issue 6). Runs each scenario against the local broker (127.0.0.1:9092, started if needed;
 * scenario 3 runs its own broker on 19192), prints one line per scenario, writes the table to
 * bench/results/faults-<date>.md (or --out), and exits 1 if any scenario failed its oracle. A run
 * of some scenarios (--only) writes faults-<date>-only-<ids>.md: it never replaces the day's table.
 * `--quick` is the CI subset: the scenarios marked quick, with scaled-down counts.
 */
import { execSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import minimist from 'minimist';
import { startBroker } from '../../lib/broker/local-kafka.js';
import { consoleLine, markdown } from './fault-table.js';
import { passed, type Scenario, type ScenarioResult } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';

const root = new URL('../../', import.meta.url).pathname;

export interface MatrixOptions {
  quick: boolean;
  only?: number[];
  seed: number;
  keep: boolean;
  out?: string;
  log?: (message: string) => void;
}

/** The results file of a run: a partial run (--only) gets its own name beside the day's table. */
export function resultsFileName(date: string, only?: number[]): string {
  return `faults-${date}${only && only.length > 0 ? `-only-${only.join('-')}` : ''}.md`;
}

export async function runMatrix(o: MatrixOptions): Promise<{ results: ScenarioResult[]; file: string }> {
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const chosen: Scenario[] = SCENARIOS.filter((s) => (o.only ? o.only.includes(s.id) : !o.quick || s.quick));
  const results: ScenarioResult[] = [];
  const started = Date.now();
  for (const scenario of chosen) {
    log(`scenario ${scenario.id}: ${scenario.title} ...`);
    const t0 = Date.now();
    let result: ScenarioResult;
    try {
      // The shared broker (started here if it is down, e.g. stopped by another test run).
      await startBroker({ port: 9092 });
      result = await scenario.run({ seed: o.seed, quick: o.quick, keep: o.keep, log });
    } catch (err) {
      result = {
        id: scenario.id, title: scenario.title, files: 0, faults: 0, faultsDetail: '', lost: 0, wrong: 0, duplicates: 0, outsideBytes: 0, outsideEntries: 0,
        uncommitted: 0, checks: [], notes: [], seconds: Math.round((Date.now() - t0) / 1000), error: (err as Error)?.stack ?? String(err),
      };
    }
    results.push(result);
    process.stdout.write(`${consoleLine(result)}\n`);
  }
  const date = new Date().toISOString().slice(0, 10);
  const file = o.out ?? join(root, 'bench', 'results', resultsFileName(date, o.only));
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    // not a checkout
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, markdown(results, { date, seed: o.seed, quick: o.quick, ...(o.only && { only: o.only }), node: process.version, commit, totalSeconds: (Date.now() - started) / 1000 }));
  return { results, file };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = minimist(process.argv.slice(2), { boolean: ['quick', 'keep'], string: ['only', 'out'], default: { seed: 6 } });
  const only = argv.only ? String(argv.only).split(',').map(Number).filter((n) => Number.isInteger(n)) : undefined;
  const { results, file } = await runMatrix({ quick: argv.quick === true, seed: Number(argv.seed), keep: argv.keep === true, ...(only && { only }), ...(argv.out && { out: String(argv.out) }) });
  process.stdout.write(`table written to ${file}\n`);
  process.exitCode = results.every(passed) ? 0 : 1;
}
