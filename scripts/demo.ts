// `npm run demo`: the main job end to end on this machine. Starts the local Kafka broker if none
// answers, uploads fixtures/demo/ (CSV measurement files) with `upload-directory`, runs the
// example processor examples/csv-statistics.ts with `process` until it is idle, checks that every
// file was processed, prints a summary, and stops what it started.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, stopBroker } from '../lib/broker/local-kafka.js';
import { quietKafkajsTimeoutWarning } from '../lib/cli/node-warnings.js';

quietKafkajsTimeoutWarning();

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'bin', 'datafile-stream.js');
const topic = `demo_${Date.now()}`;
const group = `demo_group_${Date.now()}`;
const work = mkdtempSync(join(tmpdir(), 'datafile-stream-demo-'));

function step(title: string, args: string[]): string {
  process.stdout.write(`\n$ datafile-stream ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  if (result.status !== 0) {
    process.stderr.write(result.stderr);
    throw new Error(`${title} failed with exit code ${result.status}`);
  }
  process.stdout.write(result.stdout);
  return result.stdout;
}

function countFiles(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

const broker = await startBroker();
process.stdout.write(broker.alreadyRunning ? `Using the Kafka broker already on 127.0.0.1:${broker.port}\n` : `Started a local Kafka broker on 127.0.0.1:${broker.port}\n`);
let ok = false;
try {
  // A copy, because the uploader keeps its registry in <dir>/LOGS/.
  const demoDir = join(work, 'demo');
  cpSync(join(root, 'fixtures', 'demo'), demoDir, { recursive: true });
  const expected = countFiles(demoDir);
  step('upload', ['upload-directory', demoDir, '--topic_name', topic, '--upload_existing', '--until_idle', '2', '--logger_stream_level', 'warning']);
  const output = step('process', [
    'process', join(root, 'examples', 'csv-statistics.ts'),
    '--topic_name', topic, '--consumer_group_id', group, '--output_dir', join(work, 'out'),
    '--until_idle', '3', '--logger_stream_level', 'warning',
  ]);
  const lines = output.split('\n').filter((l) => l.includes(' rows of '));
  const registry = readFileSync(join(work, 'out', 'LOGS', `processed_from_${topic}_by_${group}.csv`), 'utf8').trim().split('\n').length - 1;
  process.stdout.write(`\nSummary: ${expected} files uploaded to topic ${topic}; ${lines.length} summarized by the example processor; ${registry} recorded as processed in LOGS/.\n`);
  ok = lines.length === expected && registry === expected;
  if (!ok) process.stderr.write('demo: not every file was processed\n');
} finally {
  rmSync(work, { recursive: true, force: true });
  if (!broker.alreadyRunning) {
    await stopBroker();
    process.stdout.write('Stopped the local Kafka broker the demo started.\n');
  }
}
process.exitCode = ok ? 0 : 1;
