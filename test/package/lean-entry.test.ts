/**
 * The main entry stays light (STYLE rule 15): an app importing the codec from `datafile-stream`
 * loads neither the AWS SDK nor the local broker's tooling; those come with `datafile-stream/s3`
 * and `datafile-stream/broker`. Each case is a plain node child (no tsx) importing the BUILT
 * package through package.json "exports", with a resolve hook reporting every module loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from '../support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

// Runs off-thread (module.register): every resolved URL goes back over a port.
const HOOK = `let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  port.postMessage(resolved.url);
  return resolved;
}`;

const CHILD = `import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
const [packageJson, specifier, name] = process.argv.slice(2);
const { port1, port2 } = new MessageChannel();
const loaded = [];
port1.on('message', (url) => loaded.push(url));
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}), { data: { port: port2 }, transferList: [port2] });
const entry = createRequire(packageJson).resolve(specifier);
const api = await import(pathToFileURL(entry).href);
await new Promise((resolve) => setTimeout(resolve, 100));
port1.close();
const required = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({ entry, exported: typeof api[name], modules: [...loaded, ...required] }));`;

interface Loaded { entry: string; exported: string; modules: string[] }

async function importInChild(dir: string, specifier: string, name: string): Promise<Loaded> {
  const script = join(dir, 'child.mjs');
  await writeFile(script, CHILD);
  const { stdout } = await run(process.execPath, [script, join(ROOT, 'package.json'), specifier, name], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(stdout) as Loaded;
}

const aws = (modules: string[]): string[] => modules.filter((m) => m.includes('/@aws-sdk/') || m.includes('/@smithy/'));
const broker = (modules: string[]): string[] => modules.filter((m) => m.includes('/dist/lib/broker/'));

test('importing decodeChunk from the main entry loads no AWS SDK module and no broker tooling', async (t) => {
  const dir = await tempDir(t, 'dfs-lean-');
  const r = await importInChild(dir, 'datafile-stream', 'decodeChunk');
  assert.equal(r.entry, join(ROOT, 'dist/lib/index.js'));
  assert.equal(r.exported, 'function');
  assert.ok(r.modules.some((m) => m.includes('/dist/lib/codec/chunk-codec.js')), 'the hook saw the codec load');
  assert.deepEqual(aws(r.modules), []);
  assert.deepEqual(broker(r.modules), []);
});

test('datafile-stream/s3 brings the S3 transfer program and the AWS SDK with it', async (t) => {
  const dir = await tempDir(t, 'dfs-lean-');
  const r = await importInChild(dir, 'datafile-stream/s3', 'S3TransferStreamProcessor');
  assert.equal(r.entry, join(ROOT, 'dist/lib/index-s3.js'));
  assert.equal(r.exported, 'function');
  assert.ok(aws(r.modules).some((m) => m.includes('/@aws-sdk/client-s3/')), 'the S3 client loaded');
  assert.deepEqual(broker(r.modules), []);
});

test('datafile-stream/broker brings startBroker, stopBroker and brokerStatus without the AWS SDK', async (t) => {
  const dir = await tempDir(t, 'dfs-lean-');
  for (const name of ['startBroker', 'stopBroker', 'brokerStatus']) {
    const r = await importInChild(dir, 'datafile-stream/broker', name);
    assert.equal(r.entry, join(ROOT, 'dist/lib/index-broker.js'));
    assert.equal(r.exported, 'function', name);
    assert.deepEqual(aws(r.modules), []);
  }
});

test('each entry has its types beside it ("types" then "default", like ".")', () => {
  for (const entry of ['index', 'index-s3', 'index-broker']) {
    assert.ok(existsSync(join(ROOT, `dist/lib/${entry}.d.ts`)), `${entry}.d.ts built`);
    assert.ok(existsSync(join(ROOT, `dist/lib/${entry}.js`)), `${entry}.js built`);
  }
});
