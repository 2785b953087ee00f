// A topic that does not exist on a broker that does not create topics: upload-file and
// upload-directory stop with one clear error naming it (ERR_TOPIC_MISSING), exit 1. Runs its own
// broker (auto.create.topics.enable=false) beside the shared one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, stopBroker } from '../../lib/broker/local-kafka.js';
import { runCli } from './upload-support.js';

const PORT = 19392;
let dir = '';
let config = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'topic-missing-'));
  await startBroker({ port: PORT, dataDir: join(dir, 'broker'), serverProperties: { 'auto.create.topics.enable': false }, startTimeoutMs: 180_000 });
  config = join(dir, 'strict.config');
  await writeFile(config, `[broker]\nbootstrap.servers = 127.0.0.1:${PORT}\n\n[producer]\ncompression.type = lz4\n`);
  await writeFile(join(dir, 'data.txt'), 'a measurement\n');
});

after(async () => {
  await stopBroker({ port: PORT, dataDir: join(dir, 'broker') });
  await rm(dir, { recursive: true, force: true });
});

test('upload-file to a missing topic on a broker that does not create topics: ERR_TOPIC_MISSING naming it', async () => {
  const result = await runCli(['upload-file', join(dir, 'data.txt'), '--config', config, '--topic_name', 'no_such_topic']);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /ERR_TOPIC_MISSING: topic "no_such_topic" does not exist/);
});

test('upload-directory to a missing topic: the same error before any file is read', async () => {
  const tree = await mkdtemp(join(dir, 'tree-'));
  await writeFile(join(tree, 'x.csv'), '1,2\n');
  const result = await runCli(['upload-directory', tree, '--config', config, '--topic_name', 'missing_too', '--upload_existing', '--until_idle', '1']);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /ERR_TOPIC_MISSING: topic "missing_too" does not exist/);
});
