import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runBroker } from '../../../lib/cli/commands/broker.js';

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
