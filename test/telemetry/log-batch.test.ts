import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogBatch } from '../../lib/telemetry/log-batch.js';

const entry = (msg: string, extra: Record<string, unknown> = {}): string => `${JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5), name: 'Prog', msg, ...extra })}\n`;

test('each pino entry becomes the readable line the log file gets; take() hands over and empties', () => {
  const batch = new LogBatch(10);
  batch.write(entry('uploaded', { file: 'a b.dat' }));
  batch.write(entry('second'));
  const { messages, dropped } = batch.take();
  assert.equal(dropped, 0);
  assert.equal(messages.length, 2);
  assert.match(messages[0]!, /INFO Prog: uploaded file="a b\.dat"$/);
  assert.deepEqual(batch.take().messages, []);
});

test('past max.logs.per.message the oldest lines are dropped and counted: memory stays bounded', () => {
  const batch = new LogBatch(5);
  for (let i = 0; i < 5000; i++) batch.write(entry(`line ${i}`));
  assert.ok(batch.size <= 5);
  const { messages, dropped } = batch.take();
  assert.equal(messages.length, 5);
  assert.equal(dropped, 4995);
  assert.match(messages[4]!, /line 4999$/);
});
