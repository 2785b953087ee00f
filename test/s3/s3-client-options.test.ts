/**
 * s3-client-options: OpenMSIStream's [s3] section -> S3 client settings; https:// added when the
 * endpoint has no scheme; path-style for non-AWS endpoints; $VAR expansion; coded errors that
 * name the config file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { s3ClientOptions } from '../../lib/s3/s3-client-options.js';
import { errorCodeOf } from '../../lib/errors.js';

async function configFile(t: { after: (fn: () => Promise<void>) => void }, s3: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 's3-options-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'test.config');
  await writeFile(path, `[broker]\nbootstrap.servers = 127.0.0.1:9092\n\n[s3]\n${s3}\n`);
  return path;
}

test('MinIO-style endpoint: path-style, credentials from $VARs, timeouts set', async (t) => {
  const path = await configFile(t, 'access_key_id = $MY_KEY\nsecret_key_id = $MY_SECRET\nendpoint_url = http://127.0.0.1:9310\nregion = us-east-1');
  const setup = s3ClientOptions(path, { socketTimeoutMs: 1234 }, { MY_KEY: 'k', MY_SECRET: 's' });
  assert.equal(setup.endpoint, 'http://127.0.0.1:9310');
  assert.equal(setup.forcePathStyle, true);
  assert.deepEqual(setup.clientConfig.credentials, { accessKeyId: 'k', secretAccessKey: 's' });
  assert.equal((setup.clientConfig.requestHandler as { socketTimeout: number }).socketTimeout, 1234);
  assert.equal(setup.configPath, path);
  assert.deepEqual(setup.warnings, []);
});

test('AWS endpoint without scheme: https:// added, virtual-hosted addressing; unknown keys warned', async (t) => {
  const path = await configFile(t, 'access_key_id = a\nsecret_key_id = b\nendpoint_url = s3.us-east-2.amazonaws.com\nregion = us-east-2\nbucket = nope');
  const setup = s3ClientOptions(path, {}, {});
  assert.equal(setup.endpoint, 'https://s3.us-east-2.amazonaws.com');
  assert.equal(setup.forcePathStyle, false);
  assert.equal(setup.region, 'us-east-2');
  assert.deepEqual(setup.warnings, ['s3.bucket: unknown key, ignored']);
});

test('errors are ERR_S3_CONFIG naming the file and the key', async (t) => {
  const missing = await configFile(t, 'access_key_id = a\nsecret_key_id = b\nregion = r');
  assert.throws(() => s3ClientOptions(missing, {}, {}), (err: unknown) => errorCodeOf(err) === 'ERR_S3_CONFIG' && /endpoint_url/.test((err as Error).message) && (err as Error).message.includes(missing));
  const unset = await configFile(t, 'access_key_id = $NOT_SET_ANYWHERE\nsecret_key_id = b\nendpoint_url = x\nregion = r');
  assert.throws(() => s3ClientOptions(unset, {}, {}), (err: unknown) => errorCodeOf(err) === 'ERR_S3_CONFIG' && /NOT_SET_ANYWHERE/.test((err as Error).message));
  assert.throws(() => s3ClientOptions('local', {}, {}), (err: unknown) => errorCodeOf(err) === 'ERR_S3_CONFIG' && /no \[s3\] section/.test((err as Error).message));
});
