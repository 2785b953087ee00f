import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runBroker } from '../../../lib/cli/commands/broker.js';
import { stopBroker } from '../../../lib/broker/local-kafka.js';
import { forgetDataDir, recalledDataDir, rememberDataDir } from '../../../lib/broker/broker-port-record.js';
import { probeKafka } from '../../../lib/broker/kafka-probe.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await runBroker(argv, { stdout: out, stderr: err });
  return { code, stdout, stderr };
}

/** A port nothing listens on: bind an ephemeral port, then free it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('--help prints the broker help and exits 0', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^datafile-stream broker/);
  assert.match(r.stdout, /start\|stop\|status/);
  assert.match(r.stdout, /--data_dir/);
});

test('no action, an unknown action or an extra word is a usage error, exit 1', async () => {
  for (const argv of [[], ['restart'], ['start', 'now']]) {
    const r = await run(argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.match(r.stderr, /expected start, stop or status/);
    assert.equal(r.stdout, '');
  }
});

test('an unknown flag or a bad port is a coded error, exit 1', async () => {
  const unknown = await run(['status', '--prot', '9092']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /ERR_INVALID_ARGUMENT/);
  const bad = await run(['status', '--port', '70000']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /ERR_INVALID_OPTION: port must be an integer port/);
});

test('status with nothing on the port exits 3; --json and kebab-case --data-dir work', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-broker-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const human = await run(['status', '--port', String(port), '--data-dir', dir]);
  assert.equal(human.code, 3);
  assert.match(human.stdout, new RegExp(`^not running: nothing answers on 127\\.0\\.0\\.1:${port}`));
  const json = await run(['status', '--port', String(port), '--data_dir', dir, '--json']);
  assert.equal(json.code, 3);
  const status = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.equal(status.running, false);
  assert.equal(status.listening, 'closed');
  assert.equal(status.port, port);
  assert.equal(status.controllerPort, port + 1);
  assert.equal(status.dataDir, dir);
});

test('stop with nothing running says so and exits 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-broker-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = await run(['stop', '--port', String(await freePort()), '--data_dir', dir]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /nothing to stop/);
});

test('a broker started with --data_dir is found by status and stop given only --port', { timeout: 240_000 }, async (t) => {
  // A real broker on its own ports; the default data dirs and the per-port records go to a
  // temp DATAFILE_STREAM_HOME, so the shared broker on 9092 and its files are never touched.
  const PORT = 19192;
  const home = await mkdtemp(join(tmpdir(), 'dfs-broker-home-'));
  const dataDir = await mkdtemp(join(tmpdir(), 'dfs-broker-data-'));
  const previousHome = process.env.DATAFILE_STREAM_HOME;
  process.env.DATAFILE_STREAM_HOME = home;
  t.after(async () => {
    await stopBroker({ port: PORT, dataDir }); // this test's broker only, by its data dir
    if (previousHome === undefined) delete process.env.DATAFILE_STREAM_HOME;
    else process.env.DATAFILE_STREAM_HOME = previousHome;
    await rm(home, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  const started = await run(['start', '--data_dir', dataDir, '--port', String(PORT), '--controller_port', String(PORT + 1), '--timeout', '120', '--json']);
  assert.equal(started.code, 0, started.stderr);
  const { pid } = JSON.parse(started.stdout) as { pid: number };
  assert.ok(Number.isInteger(pid));

  const status = await run(['status', '--port', String(PORT), '--json']);
  assert.equal(status.code, 0, status.stdout + status.stderr);
  const s = JSON.parse(status.stdout) as { running: boolean; pid?: number; dataDir: string };
  assert.equal(s.running, true);
  assert.equal(s.pid, pid, 'status names the pid of the broker started from --data_dir');
  assert.equal(s.dataDir, dataDir);
  const human = await run(['status', '--port', String(PORT)]);
  assert.match(human.stdout, new RegExp(`^running: Kafka broker on 127\\.0\\.0\\.1:${PORT} \\(pid ${pid}; data ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

  const stopped = await run(['stop', '--port', String(PORT)]);
  assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr);
  assert.match(stopped.stdout, new RegExp(`^Stopped the Kafka broker on 127\\.0\\.0\\.1:${PORT} \\(pid ${pid}, data `));
  assert.equal(await probeKafka(PORT, 3000), 'closed');

  const after = await run(['status', '--port', String(PORT), '--json']);
  assert.equal(after.code, 3);
  assert.equal((JSON.parse(after.stdout) as { dataDir: string }).dataDir, join(home, `broker-${PORT}`), 'with no broker left, status shows the default data dir again');
});

test('a recorded data dir whose broker is gone is ignored: status and stop use the default one', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'dfs-broker-home-'));
  const stale = await mkdtemp(join(tmpdir(), 'dfs-broker-data-'));
  const previousHome = process.env.DATAFILE_STREAM_HOME;
  process.env.DATAFILE_STREAM_HOME = home;
  t.after(async () => {
    if (previousHome === undefined) delete process.env.DATAFILE_STREAM_HOME;
    else process.env.DATAFILE_STREAM_HOME = previousHome;
    await rm(home, { recursive: true, force: true });
    await rm(stale, { recursive: true, force: true });
  });
  const port = await freePort();
  await rememberDataDir(home, port, stale);
  // The pid of this test process is alive but is no kafka.Kafka JVM of that data dir.
  await writeFile(join(stale, 'broker.pid'), `${process.pid}\n`);
  assert.equal(recalledDataDir(home, port), stale);
  const status = await run(['status', '--port', String(port), '--json']);
  assert.equal(status.code, 3);
  const s = JSON.parse(status.stdout) as { dataDir: string; pid?: number };
  assert.equal(s.dataDir, join(home, `broker-${port}`));
  assert.equal(s.pid, undefined);
  const stop = await run(['stop', '--port', String(port)]);
  assert.equal(stop.code, 0);
  assert.match(stop.stdout, /nothing to stop/);
  await forgetDataDir(home, port, join(home, 'elsewhere'));
  assert.equal(recalledDataDir(home, port), stale, 'a record is removed only by the data dir it names');
  await forgetDataDir(home, port, stale);
  assert.equal(recalledDataDir(home, port), undefined);
});
