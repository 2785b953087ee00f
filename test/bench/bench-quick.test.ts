/**
 * `npm run bench -- --quick` end to end: tiny corpora, every program of the full benchmark (ours,
 * OpenMSIStream, the SHA-512 and raw-kafkajs ceilings) against the local broker, two rounds. Proves the
 * benchmark still runs and writes complete results; it asserts no timing (figures from a
 * shared CI machine mean nothing), only that every row is there, succeeded and was measured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface ResultRow {
  corpus: string;
  kind: string;
  subject: string;
  ok: boolean;
  error?: string;
  seconds: number | null;
  mibPerSec: number | null;
  filesPerSec: number | null;
  peakRssMiB: number | null;
  cpuSeconds: number | null;
  verified: boolean | null;
  steadySeconds?: number | null;
  runs?: Array<{ round: number; ok: boolean; seconds: number | null }>;
  spread?: { seconds?: [number, number] };
}

const CONSUMERS = ['ours-disk', 'ours-memory', 'openmsistream-download', 'kafkajs-raw', 'hash-ceiling'];
const UPLOADERS = ['ours-upload-directory', 'openmsistream-upload-directory'];
const EXPECTED: Record<string, string[]> = {
  A: [...CONSUMERS, ...UPLOADERS, 'ours-upload-file', 'openmsistream-upload-file', 'raw-produce'],
  B: [...CONSUMERS, ...UPLOADERS],
  C: [...CONSUMERS, ...UPLOADERS],
  X: ['ours-disk', 'ours-upload-directory'],
};

function runBench(out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'bench', '--', '--quick', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('npm run bench -- --quick measures every program and writes the results JSON, Markdown and SVG', { timeout: 20 * 60_000 }, async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'dfs-bench-quick-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const { code, output } = await runBench(out);
  assert.equal(code, 0, `the quick bench failed:\n${output.slice(-6000)}`);

  const files = await readdir(out);
  const json = files.find((f) => /^\d{4}-\d{2}-\d{2}-quick\.json$/.test(f));
  assert.ok(json, `no results JSON in ${files.join(', ')}`);
  const stem = json.slice(0, -'.json'.length);
  assert.ok(existsSync(join(out, `${stem}.md`)) && existsSync(join(out, `${stem}.svg`)), 'Markdown and SVG beside the JSON');
  assert.ok(!files.includes('latest.md'), 'a quick run leaves latest.md alone');

  const result = JSON.parse(await readFile(join(out, json), 'utf8')) as { quick: boolean; rows: ResultRow[]; ratios: unknown[]; targets: unknown[] };
  assert.equal(result.quick, true);
  for (const [corpus, subjects] of Object.entries(EXPECTED)) {
    for (const subject of subjects) {
      const row = result.rows.find((r) => r.corpus === corpus && r.subject === subject);
      assert.ok(row, `row ${corpus}/${subject} is missing`);
      assert.ok(row.ok, `${corpus}/${subject} failed: ${row.error}`);
      for (const field of ['seconds', 'mibPerSec', 'filesPerSec', 'peakRssMiB', 'cpuSeconds'] as const) {
        assert.ok(typeof row[field] === 'number' && row[field]! > 0, `${corpus}/${subject}: ${field} = ${row[field]}`);
      }
      if (subject === 'ours-disk' || subject === 'openmsistream-download') assert.equal(row.verified, true, `${corpus}/${subject}: rebuilt tree verified`);
      // Two alternating rounds by default: every row is a median with its spread.
      assert.deepEqual(row.runs?.map((r) => r.round), [1, 2], `${corpus}/${subject}: one run per round`);
      assert.ok(row.spread?.seconds && row.spread.seconds[0] <= row.seconds! && row.seconds! <= row.spread.seconds[1], `${corpus}/${subject}: median within its spread`);
      if (CONSUMERS.includes(subject) && subject !== 'hash-ceiling') {
        assert.ok(typeof row.steadySeconds === 'number' && row.steadySeconds >= 0 && row.steadySeconds <= row.seconds!, `${corpus}/${subject}: steady ${row.steadySeconds}`);
      }
    }
  }
  assert.ok(result.ratios.length > 0 && result.targets.length > 0, 'ratios and targets computed');
  const svg = await readFile(join(out, `${stem}.svg`), 'utf8');
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
});
