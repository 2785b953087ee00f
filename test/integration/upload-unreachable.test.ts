// A producer whose broker does not answer says so the way the consumer does: one line,
// ERR_KAFKA_UNREACHABLE naming the topic and the address with what to do, exit 1, within seconds
// (not after kafkajs's connection retries), and no stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closedPort } from '../support/closed-port.js';
import { tempDir } from '../support/temp-dir.js';
import { runCli } from './upload-support.js';

for (const command of ['upload-file', 'upload-directory'] as const) {
  test(`${command} to an unreachable broker: ERR_KAFKA_UNREACHABLE with the hint, exit 1, within seconds`, async (t) => {
    const dir = await tempDir(t);
    const port = await closedPort();
    const config = join(dir, 'closed.config');
    await writeFile(config, `[broker]\nbootstrap.servers = 127.0.0.1:${port}\n`);
    await mkdir(join(dir, 'tree'));
    await writeFile(join(dir, 'tree', 'data.txt'), 'a measurement\n');
    const target = command === 'upload-file' ? join(dir, 'tree', 'data.txt') : join(dir, 'tree');
    const extra = command === 'upload-directory' ? ['--upload_existing', '--until_idle', '1'] : [];
    const started = Date.now();
    const result = await runCli([command, target, '--config', config, '--topic_name', 'some_topic', ...extra]);
    const ms = Date.now() - started;
    assert.equal(result.code, 1, result.stderr);
    assert.ok(ms < 8000, `failed after ${ms} ms`);
    assert.doesNotMatch(result.stderr, /Unhandled|    at /);
    const coded = result.stderr.split('\n').filter((l) => l.includes('ERR_KAFKA_UNREACHABLE'));
    assert.equal(coded.length, 1, result.stderr);
    assert.match(coded[0]!, new RegExp(`cannot produce to topic "some_topic": Kafka at 127\\.0\\.0\\.1:${port} does not answer .*datafile-stream broker start.*bootstrap\\.servers`));
  });
}
