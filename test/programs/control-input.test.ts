/** The console control: q + Enter and the first signal stop gracefully, a second signal forces the exit (128+n); --update_seconds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { listenForControl } from '../../lib/programs/control-input.js';

test('the first SIGINT stops gracefully, the second forces the exit with 130', (t) => {
  const stops: string[] = [];
  const exits: number[] = [];
  const forced: string[] = [];
  const input = new PassThrough();
  const dispose = listenForControl({ stop: (r) => stops.push(r), check: () => '', forced: (s) => forced.push(s) }, { input, exit: (c) => exits.push(c) });
  t.after(dispose);
  process.emit('SIGINT', 'SIGINT');
  assert.deepEqual(stops, ['SIGINT']);
  assert.deepEqual(exits, []);
  process.emit('SIGINT', 'SIGINT');
  assert.deepEqual(exits, [130]);
  assert.deepEqual(forced, ['SIGINT']);
  assert.deepEqual(stops, ['SIGINT'], 'the second signal does not start another graceful stop');
});

test('q + Enter stops, and a signal after it still stops first (the graceful stop was not a signal)', (t) => {
  const stops: string[] = [];
  const exits: number[] = [];
  const input = new PassThrough();
  const dispose = listenForControl({ stop: (r) => stops.push(r), check: () => '' }, { input, exit: (c) => exits.push(c) });
  t.after(dispose);
  input.write('q\n');
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      assert.deepEqual(stops, ['quit']);
      process.emit('SIGTERM', 'SIGTERM');
      assert.deepEqual(stops, ['quit', 'SIGTERM']);
      assert.deepEqual(exits, []);
      resolve();
    }),
  );
});

test('updateSeconds logs the counts that often (OpenMSIStream\'s --update_seconds), and dispose stops it', async () => {
  const updates: string[] = [];
  let n = 0;
  const dispose = listenForControl({ stop: () => undefined, check: () => `count ${++n}`, updateSeconds: 0.05, update: (c) => updates.push(c) }, { input: new PassThrough() });
  await new Promise((resolve) => setTimeout(resolve, 180));
  dispose();
  const seen = updates.length;
  assert.ok(seen >= 2, `at least two updates in 180 ms, got ${seen}`);
  assert.equal(updates[0], 'count 1');
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(updates.length, seen, 'no update after dispose');
});
