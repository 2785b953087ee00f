import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogLine } from '../../lib/log/text-format.js';

const at = new Date(2026, 11, 3, 8, 40, 50, 445).getTime(); // local time, as the log shows it

test('a log file line: date, time with comma milliseconds, Python level name, logger name, message, fields', () => {
  const json = JSON.stringify({ level: 30, time: at, pid: 7, hostname: 'h', name: 'DataFileDownloadDirectory', file: 'a/b.dat', bytes: 12, msg: 'processed' });
  assert.equal(formatLogLine(`${json}\n`, { date: true }), '2026-12-03 08:40:50,445 INFO DataFileDownloadDirectory: processed file=a/b.dat bytes=12\n');
});

test('levels are Python names; strings with spaces are quoted; objects compact JSON; an error is its type and message', () => {
  const line = formatLogLine(
    JSON.stringify({ level: 40, time: at, name: 'X', file: 'with space.txt', partitions: [0, 1], ok: true, none: null, msg: 'careful' }),
    { date: true },
  );
  assert.equal(line, '2026-12-03 08:40:50,445 WARNING X: careful file="with space.txt" partitions=[0,1] ok=true none=null\n');
  const failed = formatLogLine(JSON.stringify({ level: 50, time: at, name: 'X', code: 'ERR_X', err: { type: 'UploadError', message: 'cannot read', stack: 'UploadError: cannot read\n    at f' }, msg: 'upload failed' }), { date: true });
  assert.equal(failed, '2026-12-03 08:40:50,445 ERROR X: upload failed code=ERR_X err="UploadError: cannot read"\n');
  assert.match(formatLogLine(JSON.stringify({ level: 60, time: at, msg: 'x' }), { date: true }), / CRITICAL /);
});

test('one entry is one line: a newline in the message or a field is escaped', () => {
  const line = formatLogLine(JSON.stringify({ level: 30, time: at, name: 'X', detail: 'a\nb', msg: 'two\nlines' }), { date: true });
  assert.equal(line.split('\n').length, 2, line);
  assert.ok(line.endsWith('X: two\\nlines detail="a\\nb"\n'), line);
});

test('the terminal form has the time of day only, no name, and may colour the level', () => {
  const json = JSON.stringify({ level: 30, time: at, name: 'DataFileUploadDirectory', file: 'x', msg: 'uploaded' });
  assert.equal(formatLogLine(json), '08:40:50.445 INFO uploaded file=x\n');
  assert.equal(formatLogLine(json, { colors: true }), '08:40:50.445 \x1b[32mINFO\x1b[0m uploaded file=x\n');
});

test('a line that is not JSON is passed through', () => {
  assert.equal(formatLogLine('plain text'), 'plain text\n');
});
