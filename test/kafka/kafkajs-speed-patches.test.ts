/**
 * The kafkajs speed patches are applied only on a call, only for kafkajs 2.2.4 and only after a
 * self-check that encodes a batch both ways. Cases that depend on a fresh kafkajs (nothing
 * patched yet, or the app's own client) run in a child process each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { applyKafkajsSpeedPatches, crcHolds, encoderPatchHolds, PATCHED_KAFKAJS_VERSION, installedKafkajsVersion, sampleBatch } from '../../lib/kafka/kafkajs-speed-patches.js';
import { kafkajsEncoderClass, patchEncoder, type EncoderClass } from '../../lib/kafka/lean-encoder.js';
import { crc32c } from '../../lib/kafka/crc32c.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const kafkajsCrc = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;

function captureLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** Runs `body` (ESM, top-level await) in a fresh node under tsx; returns what it printed as JSON. */
async function inChild(body: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', body], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const PROBE = `
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
const Encoder = require('kafkajs/src/protocol/encoder.js');
const ownSize = Encoder.prototype.size;
const crcPath = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js');
// kafkajs's own crc32C/index.js exports \`buffer => unsigned(crc32C(buffer))\`; the toolkit's is another function.
const state = () => ({ leanEncoder: Encoder.prototype.size !== ownSize, nativeCrc: require.cache[crcPath] !== undefined && !String(require.cache[crcPath].exports).includes('unsigned(crc32C(buffer))') });
`;

test('the version guard: another kafkajs version is not patched and says so in one warn line', async () => {
  assert.equal(installedKafkajsVersion(), PATCHED_KAFKAJS_VERSION, 'the installed kafkajs is the one the patches were written for');
  const { logger, lines } = captureLogger();
  const result = applyKafkajsSpeedPatches({ logger, kafkajsVersion: '2.3.0' });
  assert.deepEqual(result, { leanEncoder: false, crc32c: false, failed: ['version'] });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 40);
  assert.equal(lines[0]!.check, 'version');
  assert.match(String(lines[0]!.msg), /kafkajs is 2\.3\.0, they were written for 2\.2\.4; running kafkajs unpatched/);
});

test('a fresh process: a different version leaves kafkajs unpatched; 2.2.4 passes the self-check and patches both', async () => {
  const r = await inChild(`${PROBE}
const { applyKafkajsSpeedPatches } = await import('./lib/kafka/kafkajs-speed-patches.ts');
const other = applyKafkajsSpeedPatches({ kafkajsVersion: '3.0.0' });
const afterOther = state();
const own = applyKafkajsSpeedPatches();
console.log(JSON.stringify({ other, afterOther, own, afterOwn: state() }));`);
  assert.deepEqual(r.afterOther, { leanEncoder: false, nativeCrc: false });
  assert.deepEqual(r.own, { leanEncoder: true, crc32c: true, failed: [] });
  assert.deepEqual(r.afterOwn, { leanEncoder: true, nativeCrc: true });
});

test('the self-check keeps a patch that encodes the same bytes and undoes one that does not', () => {
  const Encoder = kafkajsEncoderClass();
  assert.ok(Encoder, "kafkajs's Encoder has the shape the patch expects");
  const proto = Encoder.prototype as Record<string, unknown>;
  const ownWriteInt32 = proto.writeInt32;
  // A patch that is wrong by one byte in one place: writeInt32 of the value 2 (the partition).
  const broken = (E: EncoderClass): (() => void) => {
    const p = E.prototype as Record<string, unknown>;
    const original = p.writeInt32 as (this: unknown, v: number) => unknown;
    p.writeInt32 = function (this: unknown, v: number) { return original.call(this, v === 2 ? 3 : v); };
    return () => { p.writeInt32 = original; };
  };
  assert.equal(encoderPatchHolds(Encoder, broken, kafkajsCrc), false);
  assert.equal(proto.writeInt32, ownWriteInt32, 'the failed patch was undone');
  const ownSize = proto.size;
  assert.equal(encoderPatchHolds(Encoder, patchEncoder, kafkajsCrc), true);
  assert.notEqual(proto.size, ownSize, 'the lean encoder stays installed');
});

test("the CRC check compares the native CRC-32C with kafkajs's own over a sample batch, and catches a wrong one", () => {
  const Encoder = kafkajsEncoderClass()!;
  assert.ok(crc32c);
  assert.equal(crcHolds(crc32c, kafkajsCrc, Encoder), true);
  assert.equal(crcHolds((data) => crc32c!(data) ^ (data.length > 4096 ? 1 : 0), kafkajsCrc, Encoder), false);
  assert.ok(sampleBatch(Encoder, kafkajsCrc).length > 400_000, 'the batch holds values past LARGE_PART');
});

test("importing the package patches nothing, an app's own kafkajs client stays unpatched, and createKafka({ kafkajsSpeedPatches: false }) too", async () => {
  const r = await inChild(`${PROBE}
const dfs = await import('./lib/index.ts');
const { default: kafkajs } = await import('kafkajs');
new kafkajs.Kafka({ brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING });
const afterImport = state();
dfs.createKafka({ brokers: ['127.0.0.1:1'], kafkajsSpeedPatches: false });
const optedOut = state();
dfs.createKafka({ brokers: ['127.0.0.1:1'] });
console.log(JSON.stringify({ afterImport, optedOut, afterCreateKafka: state() }));`);
  assert.deepEqual(r.afterImport, { leanEncoder: false, nativeCrc: false });
  assert.deepEqual(r.optedOut, { leanEncoder: false, nativeCrc: false });
  assert.deepEqual(r.afterCreateKafka, { leanEncoder: true, nativeCrc: true });
});

test("a client the app used before: kafkajs's CRC-32C module is loaded already, so only the encoder is patched, said in one warn line", async () => {
  const r = await inChild(`${PROBE}
require('kafkajs/src/protocol/recordBatch/v0/index.js'); // what an app's first produce request loads
const lines = [];
const { default: pino } = await import('pino');
const logger = pino({ level: 'debug' }, { write: (line) => lines.push(JSON.parse(line)) });
const { applyKafkajsSpeedPatches } = await import('./lib/kafka/kafkajs-speed-patches.ts');
const result = applyKafkajsSpeedPatches({ logger });
console.log(JSON.stringify({ result, state: state(), lines: lines.map((l) => [l.level, l.msg]) }));`);
  assert.deepEqual(r.result, { leanEncoder: true, crc32c: false, failed: ['crc32c-loaded'] });
  assert.deepEqual(r.state, { leanEncoder: true, nativeCrc: false });
  assert.deepEqual(r.lines, [[40, 'kafkajs speed patches: the self-check failed (crc32c-loaded); running kafkajs partly unpatched']]);
});
