/**
 * Integration: `upload-file` with an OpenMSIStream config that asks for KafkaCrypto encryption
 * (fixtures/openmsistream-configs/local_broker_test_encrypted.config, pointed at the local broker)
 * is refused: exit 1, ERR_ENCRYPTION_UNSUPPORTED naming --allow_plaintext, and not one record on
 * the topic. With --allow_plaintext the same upload goes through, with one warning that the
 * records are unencrypted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertExit, BROKER, countRecords, logLines, ROOT, runCli, uniqueTopic } from './upload-support.js';
import { createTopic } from './consumer-support.js';

const ENCRYPTED = join(ROOT, 'fixtures', 'openmsistream-configs', 'local_broker_test_encrypted.config');
const BOOTSTRAP_ENV = 'LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS';

test('upload-file with a [kafkacrypto] config exits 1 with ERR_ENCRYPTION_UNSUPPORTED and produces nothing; --allow_plaintext sends', { timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-encrypted-'));
  const previous = process.env[BOOTSTRAP_ENV];
  process.env[BOOTSTRAP_ENV] = BROKER; // the child inherits it; the fixture reads the broker from it
  t.after(async () => {
    if (previous === undefined) delete process.env[BOOTSTRAP_ENV];
    else process.env[BOOTSTRAP_ENV] = previous;
    await rm(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'secret.dat');
  await writeFile(file, Buffer.alloc(100_000, 7));
  const topic = uniqueTopic(t, 't-encrypted');
  // The topic exists, so "nothing produced" is a count of its records, not a missing topic.
  await createTopic(topic, 1);

  const refused = await runCli(['upload-file', file, '--config', ENCRYPTED, '--topic_name', topic]);
  assertExit(refused, 1);
  assert.match(refused.stderr, /datafile-stream upload-file: ERR_ENCRYPTION_UNSUPPORTED: config .*local_broker_test_encrypted\.config has a \[kafkacrypto\] section/);
  assert.match(refused.stderr, /does not support KafkaCrypto/);
  assert.match(refused.stderr, /--allow_plaintext/);
  assert.equal(await countRecords(topic), 0, 'not one record was produced');

  const allowed = await runCli(['upload-file', file, '--config', ENCRYPTED, '--topic_name', topic, '--allow_plaintext']);
  assertExit(allowed, 0);
  const unencrypted = logLines(allowed.stderr).filter((l) => l.level === 40 && /unencrypted/.test(String(l.msg)));
  assert.equal(unencrypted.length, 1, allowed.stderr);
  assert.ok((await countRecords(topic)) > 0, 'with --allow_plaintext the file was sent');
});
