// The bench report: a row that needed a second run says so, with why the first failed; a failed
// run is FAILED and leaves its ratios unmeasured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Row } from '../../bench/measure.js';
import { computeRatios, renderMarkdown, type BenchResult } from '../../bench/report.js';

function rowOf(subject: Row['subject'], label: string, mibPerSec: number | null, extra: Partial<Row> = {}): Row {
  return {
    corpus: 'A', kind: 'upload', subject, label, files: 2, bytes: 2 * 1024 * 1024, ok: mibPerSec !== null, seconds: mibPerSec === null ? null : 1,
    mibPerSec, filesPerSec: mibPerSec === null ? null : 2, peakRssMiB: 80, cpuSeconds: 1, mibPerCpuSecond: mibPerSec, verified: null,
    loadAvg1: { before: 1, after: 1 }, ...extra,
  };
}

function resultOf(rows: Row[]): BenchResult {
  return {
    date: '2026-11-27', startedAt: '', finishedAt: '', quick: true,
    machine: { cpus: 2, cpuModel: 'test', memTotalMiB: 1, node: 'v20', platform: 'linux' },
    versions: { datafileStream: '0', openmsistream: '1.8.8', kafkaBroker: '4.4.0', kafkajs: '2.2.4' },
    settings: { config: 'c', chunkSize: 524288, memoryBudgetMiB: 256, consumerThreads: 2 },
    corpora: [{ name: 'A', description: 'two files', files: 2, fileBytes: 2097152, totalBytes: 2097152 }],
    rows, ratios: computeRatios(rows, ['A']), targets: [], notes: [],
  };
}

test('a second run of an OpenMSIStream program is marked with why the first failed', () => {
  const rows = [
    rowOf('ours-upload-directory', 'ours upload-directory', 10),
    rowOf('openmsistream-upload-directory', 'OpenMSIStream DataFileUploadDirectory', 5, { retriedAfter: 'exited with 1; last output:\n(nothing)' }),
  ];
  const md = renderMarkdown(resultOf(rows));
  const line = md.split('\n').find((l) => l.startsWith('| upload: OpenMSIStream DataFileUploadDirectory'));
  assert.match(line ?? '', /\(second run; the first failed: exited with 1; last output:\)/);
  assert.equal(resultOf(rows).ratios.find((r) => r.numerator === 'ours-upload-directory')?.value, 2);
});

test('a failed run is FAILED and its ratio is not measured', () => {
  const rows = [rowOf('ours-upload-directory', 'ours upload-directory', 10), rowOf('openmsistream-upload-directory', 'OpenMSIStream DataFileUploadDirectory', null, { error: 'exited with 1' })];
  const result = resultOf(rows);
  assert.match(renderMarkdown(result), /\| FAILED: exited with 1 \|/);
  assert.equal(result.ratios.find((r) => r.numerator === 'ours-upload-directory')?.value, null);
});

test('a row shows the median with the min-max spread of its rounds, and steady-state seconds; no "after join" wording', () => {
  const rows = [rowOf('ours-disk', 'ours download-directory (disk)', 10, { kind: 'consume', seconds: 12, steadySeconds: 9, spread: { seconds: [10, 14.5], steadySeconds: [8, 9.5] } })];
  const md = renderMarkdown(resultOf(rows));
  const line = md.split('\n').find((l) => l.startsWith('| ours download-directory (disk)'));
  assert.match(line ?? '', /\| 12\.00 \(10\.00-14\.50\) \| 9\.00 \(8\.00-9\.50\) \|/);
  assert.doesNotMatch(md, /after join|last file rebuilt/);
  assert.match(md, /committed offsets reach the end of every partition/);
});

test('the raw produce row bounds upload-file: ours against it, and it against OpenMSIStream', () => {
  const rows = [
    rowOf('ours-upload-file', 'ours upload-file', 60),
    rowOf('openmsistream-upload-file', 'OpenMSIStream UploadDataFile', 50),
    rowOf('raw-produce', 'raw produce on kafkajs (one read, no hashing)', 80),
  ];
  const md = renderMarkdown(resultOf(rows));
  const line = (start: string) => md.split('\n').find((l) => l.startsWith(start)) ?? '';
  assert.match(line('| upload: ours upload-file'), /\| 1\.20x \/ 0\.75x \|/);
  assert.match(line('| upload: raw produce on kafkajs'), /\| 1\.60x \/ - \|/);
});
