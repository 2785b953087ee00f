// `npm test`: starts what the tests need (the local Kafka broker on 127.0.0.1:9092, the Python
// virtualenv with the real openmsistream for interoperability tests), runs every test file under
// test/ with node:test, and stops the broker again if it started it.
// Usage: node scripts/run-tests.mjs [test files or directories...]
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

function findTests(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => findTests(join(path, name)));
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  return result.status ?? 1;
}

const targets = process.argv.slice(2);
const found = (targets.length > 0 ? targets : ['test']).flatMap(findTests).map((f) => relative(root, f));
const files = withoutUnloadableEngine(found);
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

/**
 * The librdkafka engine is an optional native build (`npm ci` skips it where it cannot build, and
 * a build made for one Node line does not load on another). Where it does not load, its own test
 * files (test/integration/engine-librdkafka*) are not run, and this says so and why; they run
 * where it was built (.ci/run builds it and runs them on that Node line). Asked to run on
 * librdkafka (DATAFILE_STREAM_KAFKA_ENGINE=librdkafka), they always run, and fail if it is missing.
 */
function withoutUnloadableEngine(list) {
  const engineFiles = list.filter((f) => /engine-librdkafka[^/]*\.test\.ts$/.test(f));
  if (engineFiles.length === 0 || process.env.DATAFILE_STREAM_KAFKA_ENGINE === 'librdkafka') return list;
  const probe = spawnSync(process.execPath, ['-e', "require('@confluentinc/kafka-javascript')"], { cwd: root, encoding: 'utf8' });
  if (probe.status === 0) return list;
  const abi = /NODE_MODULE_VERSION (\d+)\.[^]*?NODE_MODULE_VERSION (\d+)/.exec(probe.stderr ?? '');
  const why = abi
    ? `built for another Node line: NODE_MODULE_VERSION ${abi[1]}, this Node needs ${abi[2]}`
    : ((probe.stderr ?? '').split('\n').find((l) => /Error|Cannot find/.test(l))?.trim() ?? 'it does not load');
  console.log(`run-tests: the librdkafka engine does not load on Node ${process.version} (${why.slice(0, 200)}); its ${engineFiles.length} test files are not run here: ${engineFiles.join(', ')}`);
  return list.filter((f) => !engineFiles.includes(f));
}

const needsPython = files.some((f) => f.startsWith('test/interop/'));
if (needsPython && run('bash', ['scripts/python-env.sh', 'all']) !== 0) {
  console.error('run-tests: could not set up the Python virtualenv with openmsistream');
  process.exit(1);
}

const broker = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/broker.ts', 'start'], { encoding: 'utf8' });
process.stdout.write(broker.stdout ?? '');
process.stderr.write(broker.stderr ?? '');
if (broker.status !== 0) {
  console.error('run-tests: the local Kafka broker did not start');
  process.exit(1);
}
const startedHere = !/already running|reusing/i.test(broker.stdout ?? '');

// A second reporter (TAP, to a file) gives the counts for the closing line, which names the Node
// version: CI runs the suite on several Node lines and says per line how many tests passed.
const tapDir = mkdtempSync(join(tmpdir(), 'run-tests-'));
const tapFile = join(tapDir, 'results.tap');
const status = run(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files],
  { env: { ...process.env, DATAFILE_STREAM_TEST: '1' } },
);
const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
rmSync(tapDir, { recursive: true, force: true });
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
const line = `node${process.versions.node.split('.')[0]}: ${count('pass')} passed, ${count('fail')} failed${count('skipped') ? `, ${count('skipped')} skipped` : ''}`;
console.log(`node ${process.version}: ${files.length} test files, ${count('tests')} tests`);
console.log(line);
// CI gathers the line of each Node version it ran (.ci/run): "nodeNN: P passed, F failed (vX.Y.Z, N files)".
if (process.env.RUN_TESTS_SUMMARY) appendFileSync(process.env.RUN_TESTS_SUMMARY, `${line} (${process.version}, ${files.length} files)\n`);

if (startedHere && !process.env.KEEP_BROKER) {
  run(process.execPath, ['--import', 'tsx', 'scripts/broker.ts', 'stop']);
}
process.exit(status);
