// The README's composition example, run as written against the real broker: it processes only the
// .csv files, stops on SIGTERM, and leaves every record committed (the skipped file's too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { tempDir } from '../support/temp-dir.js';
import { assertCommittedToEnd, bytes, chunksOf, createTopic, produce, recordOf, uniqueName } from '../integration/consumer-support.js';

const root = new URL('../../', import.meta.url).pathname;

test('examples/compose-pipeline.ts processes the .csv files, skips the rest, and ends on SIGTERM with all committed', async (t) => {
  const topic = uniqueName('example');
  await createTopic(topic, 1);
  const files: Array<[string, Buffer]> = [
    ['a.csv', Buffer.from('x,y\n1,2\n3,4\n')],
    ['b.bin', bytes(3000, 7)],
    ['sub/c.csv', Buffer.from('x\n1\n')],
  ];
  await produce(topic, files.flatMap(([name, data]) => chunksOf(name, data, 1024).map((c) => recordOf(c))));
  const out = await tempDir(t, 'example-');
  const group = uniqueName('g');
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/compose-pipeline.ts', topic, group, out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no output in time: ${stdout} ${stderr}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('a.csv') && stdout.includes('sub/c.csv')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  // The skipped file is settled (and committed) within the commit interval; give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^a\.csv: 3 lines$/m);
  assert.match(stdout, /^sub\/c\.csv: 2 lines$/m);
  assert.doesNotMatch(stdout, /b\.bin/);
  assert.match(stdout, /stopped \(aborted\)/);
  await assertCommittedToEnd(topic, group);
});
