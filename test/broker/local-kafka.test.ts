/**
 * Integration: the real local broker's start/reuse/stop semantics. Uses its own ports (19392 and
 * up) and temp data dirs, so the shared broker on 127.0.0.1:9092 that other tests use is only
 * read, never stopped. The jar cache is the default one, shared with that broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { brokerStatus, startBroker, stopBroker, KAFKA_VERSION } from '../../lib/broker/local-kafka.js';
import { probeKafka } from '../../lib/broker/kafka-probe.js';
import { isCodedError } from '../../lib/errors.js';
import { tempDir } from '../support/temp-dir.js';

const PORT = 19392;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** A listener that is not Kafka: accepts and hangs up at once. */
async function occupy(t: { after: (fn: () => Promise<void>) => void }, port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

function hasCode(code: string) {
  return (err: unknown) => isCodedError(err) && err.code === code;
}

test('start twice at once starts one JVM; start again reuses it; stop stops it', { timeout: 180_000 }, async (t) => {
  const dataDir = await tempDir(t);
  const opts = { port: PORT, dataDir };
  t.after(async () => {
    await stopBroker(opts);
  });

  const before = await brokerStatus(opts);
  assert.equal(before.running, false);
  assert.equal(before.listening, 'closed');
  assert.equal(before.pid, undefined);

  const [a, b] = await Promise.all([startBroker(opts), startBroker(opts)]);
  assert.deepEqual([a.alreadyRunning, b.alreadyRunning].sort(), [false, true], 'exactly one of two parallel starts starts a JVM');
  const started = a.alreadyRunning ? b : a;
  assert.equal(typeof started.pid, 'number');
  assert.equal(a.pid, b.pid);
  assert.equal(started.version, KAFKA_VERSION);
  assert.equal(started.dataDir, dataDir);
  assert.equal(readFileSync(join(dataDir, 'broker.pid'), 'utf8').trim(), String(started.pid));
  assert.ok(alive(started.pid!));
  assert.ok(existsSync(join(dataDir, 'kafka-logs', 'meta.properties')), 'KRaft storage formatted inside the data dir');
  // Bound before it could answer, so already in the log ("Kafka Server started" may come later).
  assert.match(readFileSync(started.logFile, 'utf8'), new RegExp(`Awaiting socket connections on 127\\.0\\.0\\.1:${PORT}\\.`));
  assert.equal(await probeKafka(PORT), 'kafka');
  assert.ok(!existsSync(join(dataDir, 'start.lock')), 'start lock released');

  const again = await startBroker(opts);
  assert.equal(again.alreadyRunning, true);
  assert.equal(again.pid, started.pid);

  const status = await brokerStatus(opts);
  assert.equal(status.running, true);
  assert.equal(status.listening, 'kafka');
  assert.equal(status.pid, started.pid);
  assert.equal(status.controllerPort, PORT + 1);
  assert.equal(status.jarsCached, true);

  const stopped = await stopBroker(opts);
  assert.equal(stopped.stopped, true);
  assert.equal(stopped.pid, started.pid);
  assert.equal(stopped.forced, false, 'SIGTERM was enough');
  assert.ok(!alive(started.pid!));
  assert.ok(!existsSync(join(dataDir, 'broker.pid')));
  assert.equal(await probeKafka(PORT), 'closed');

  assert.deepEqual(await stopBroker(opts), { port: PORT, stopped: false, reason: 'not-running' });
  const after = await brokerStatus(opts);
  assert.equal(after.running, false);

  // A restart reuses the formatted storage.
  const restarted = await startBroker(opts);
  assert.equal(restarted.alreadyRunning, false);
  assert.notEqual(restarted.pid, started.pid);
  assert.ok(existsSync(`${restarted.logFile}.1`), "the previous run's log is kept");
  assert.equal((await stopBroker(opts)).stopped, true);
});

test('stop leaves alone a broker that another data dir started', { timeout: 120_000 }, async (t) => {
  await startBroker(); // the shared 9092 broker: reused when up, started when not
  const elsewhere = await tempDir(t);
  assert.deepEqual(await stopBroker({ port: 9092, dataDir: elsewhere }), { port: 9092, stopped: false, reason: 'not-managed' });
  assert.equal(await probeKafka(9092), 'kafka');
  const status = await brokerStatus({ port: 9092, dataDir: elsewhere });
  assert.equal(status.running, true);
  assert.equal(status.pid, undefined);
});

test('a port taken by something that is not Kafka is refused', { timeout: 60_000 }, async (t) => {
  await occupy(t, PORT + 2);
  const dataDir = await tempDir(t);
  await assert.rejects(startBroker({ port: PORT + 2, dataDir }), (err: unknown) => hasCode('ERR_BROKER_START')(err) && /not answer as a Kafka broker/.test((err as Error).message));
  assert.equal((await brokerStatus({ port: PORT + 2, dataDir })).listening, 'other');
});

test('a broker that dies while starting is reported with the tail of its log', { timeout: 120_000 }, async (t) => {
  const port = PORT + 4;
  await occupy(t, port + 1); // the controller port: Kafka cannot bind it and exits
  const dataDir = await tempDir(t);
  t.after(async () => {
    await stopBroker({ port, dataDir });
  });
  await assert.rejects(startBroker({ port, dataDir }), (err: unknown) => {
    assert.ok(hasCode('ERR_BROKER_START')(err), String(err));
    assert.match((err as Error).message, /exited .* while starting; last lines of/);
    assert.match((err as Error).message, /Address already in use|BindException/);
    return true;
  });
  assert.ok(!existsSync(join(dataDir, 'broker.pid')));
});

test('a broker that does not answer in time is stopped and reported as ERR_BROKER_TIMEOUT', { timeout: 120_000 }, async (t) => {
  const port = PORT + 6;
  const dataDir = await tempDir(t);
  t.after(async () => {
    await stopBroker({ port, dataDir });
  });
  await assert.rejects(startBroker({ port, dataDir, startTimeoutMs: 500 }), (err: unknown) => {
    assert.ok(hasCode('ERR_BROKER_TIMEOUT')(err), String(err));
    assert.match((err as Error).message, /did not answer on 127\.0\.0\.1:19398 within 0\.5 s and was stopped; last lines of/);
    return true;
  });
  assert.ok(!existsSync(join(dataDir, 'broker.pid')));
  assert.equal(await probeKafka(port), 'closed');
});

test('missing java or mvn is a one-line ERR_BROKER_MISSING_TOOL that says what to install', { timeout: 60_000 }, async (t) => {
  const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };
  t.after(() => {
    process.env.PATH = saved.PATH;
    if (saved.JAVA_HOME === undefined) delete process.env.JAVA_HOME;
    else process.env.JAVA_HOME = saved.JAVA_HOME;
  });
  const realJavaHome = dirname(dirname(realpathSync(execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim())));
  const dataDir = await tempDir(t);
  const cacheDir = await tempDir(t); // empty: jars would have to be fetched

  process.env.JAVA_HOME = join(dataDir, 'no-such-jdk');
  await assert.rejects(startBroker({ port: PORT + 8, dataDir, cacheDir }), (err: unknown) => {
    assert.ok(hasCode('ERR_BROKER_MISSING_TOOL')(err), String(err));
    assert.match((err as Error).message, /^java not found: install a Java 17\+ runtime/);
    assert.doesNotMatch((err as Error).message, /\n/);
    return true;
  });

  process.env.JAVA_HOME = realJavaHome;
  process.env.PATH = join(dataDir, 'empty-path');
  await assert.rejects(startBroker({ port: PORT + 8, dataDir, cacheDir }), (err: unknown) => {
    assert.ok(hasCode('ERR_BROKER_MISSING_TOOL')(err), String(err));
    assert.match((err as Error).message, /^mvn not found: install Apache Maven/);
    assert.doesNotMatch((err as Error).message, /\n/);
    return true;
  });
});
