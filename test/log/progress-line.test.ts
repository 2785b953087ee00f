import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../lib/log/create-logger.js';
import { CLEAR_LINE, ProgressLine, showProgress } from '../../lib/log/progress-line.js';

/** A terminal that records each write. */
function fakeTty(columns = 200): { writes: string[]; isTTY: true; columns: number; write(text: string): boolean } {
  return { writes: [], isTTY: true, columns, write(text: string) { this.writes.push(text); return true; } };
}

/** What a terminal shows after the writes: \r returns to the line's start, ESC[K erases to its end. */
function screen(writes: string[]): string[] {
  const lines = [''];
  for (const piece of writes.join('').split(/(\r|\x1b\[K|\n)/)) {
    if (piece === '\r' || piece === '') continue;
    if (piece === '\x1b[K') lines[lines.length - 1] = '';
    else if (piece === '\n') lines.push('');
    else lines[lines.length - 1] += piece;
  }
  return lines;
}

test('a log line clears the status line, is written, and the status line is drawn again below it, in one write', () => {
  const tty = fakeTty();
  const line = new ProgressLine(tty);
  line.update('files done 6  5.2 MiB/s');
  line.write('log one\n');
  assert.deepEqual(tty.writes, [`${CLEAR_LINE}files done 6  5.2 MiB/s`, `${CLEAR_LINE}log one\nfiles done 6  5.2 MiB/s`]);
  line.update('files done 7  5.0 MiB/s');
  line.write('log two\n');
  line.done();
  line.write('after the end\n');
  assert.deepEqual(screen(tty.writes), ['log one', 'log two', 'files done 7  5.0 MiB/s', 'after the end', '']);
});

test('the logger writes through the status line: no log line runs into the progress text', () => {
  const tty = fakeTty();
  const progress = new ProgressLine(tty);
  const logger = createLogger({ name: 't', pretty: true, progressLine: progress });
  progress.update('files done 6  in progress 2');
  logger.info({ file: 'a/b.dat' }, 'processed');
  logger.debug('not at the default level');
  progress.update('files done 7  in progress 1');
  logger.warn('slow');
  const shown = screen(tty.writes);
  assert.equal(shown.length, 3, JSON.stringify(shown));
  assert.match(shown[0]!, /^\d\d:\d\d:\d\d\.\d{3} \x1b\[32mINFO\x1b\[0m processed file=a\/b\.dat$/);
  assert.match(shown[1]!, /^\d\d:\d\d:\d\d\.\d{3} \x1b\[33mWARNING\x1b\[0m slow$/);
  assert.equal(shown[2], 'files done 7  in progress 1');
});

test('not a TTY: no status line, log text passes through untouched', () => {
  const out = { writes: [] as string[], write(text: string) { this.writes.push(text); return true; } };
  const line = new ProgressLine(out);
  assert.equal(line.enabled, false);
  line.update('files done 1');
  line.write('log\n');
  line.done();
  assert.deepEqual(out.writes, ['log\n']);
});

test('the status line is cut to the terminal width (a wrapped line cannot be cleared with \\r)', () => {
  const tty = fakeTty(20);
  const line = new ProgressLine(tty);
  line.update('x'.repeat(50));
  assert.equal(tty.writes[0], `${CLEAR_LINE}${'x'.repeat(19)}`);
});

test('showProgress draws at once, redraws on its interval, and ends once with the last figures on screen', async () => {
  const tty = fakeTty();
  const line = new ProgressLine(tty);
  let n = 0;
  const end = showProgress(line, () => `n ${++n}`, 20);
  await sleep(70);
  end();
  end();
  const shown = screen(tty.writes);
  assert.deepEqual(shown.slice(-1), ['']);
  assert.equal(shown.length, 2, 'one line left on screen, then a new line');
  assert.equal(shown[0], `n ${n}`);
  assert.ok(n >= 3, `redrawn on the interval (${n} draws)`);
});

test('the log file is readable text by default and JSON lines with fileFormat json', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'logger-format-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const read = async (path: string): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const text = await readFile(path, 'utf8').catch(() => '');
      if (text.includes('\n')) return text;
      await sleep(20);
    }
    throw new Error(`${path} stayed empty`);
  };
  const text = createLogger({ name: 'DataFileUploadDirectory', streamLevel: 'silent', fileLevel: 'info', filePath: join(dir, 'text.log') });
  text.info({ file: 'a/b.dat' }, 'uploaded');
  assert.match(await read(join(dir, 'text.log')), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO DataFileUploadDirectory: uploaded file=a\/b\.dat\n$/);
  const json = createLogger({ name: 'DataFileUploadDirectory', streamLevel: 'silent', fileLevel: 'info', filePath: join(dir, 'json.log'), fileFormat: 'json' });
  json.info({ file: 'a/b.dat' }, 'uploaded');
  const entry = JSON.parse(await read(join(dir, 'json.log'))) as Record<string, unknown>;
  assert.equal(entry.msg, 'uploaded');
  assert.equal(entry.file, 'a/b.dat');
});
