/**
 * Turns the rows of one benchmark run into its results: ratios, the issue's targets (met or
 * not, with the figures), a Markdown table and an SVG bar chart.
 *
 * In: a BenchResult without `ratios`/`targets`. Out: the same with them, and text for
 * `<date>.json`, `<date>.md` (+ `latest.md`) and `latest.svg`. Pure: no I/O here.
 * A ratio or target whose inputs failed or were not run is `null` / "not measured", never guessed.
 */
import { CPU_PARTS, type CpuBreakdown, type CpuPart } from './cpu-breakdown.js';
import type { Row, Subject } from './measure.js';

export interface CorpusInfo {
  name: string;
  description: string;
  files: number;
  fileBytes: number;
  totalBytes: number;
}

export interface Ratio {
  corpus: string;
  name: string;
  numerator: Subject;
  denominator: Subject;
  value: number | null;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface BenchResult {
  date: string;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memTotalMiB: number; node: string; platform: string };
  versions: { datafileStream: string; openmsistream: string | null; kafkaBroker: string | null; kafkajs: string };
  settings: { config: string; chunkSize: number; memoryBudgetMiB: number; consumerThreads: number; engine?: string };
  corpora: CorpusInfo[];
  rows: Row[];
  ratios: Ratio[];
  targets: Target[];
  notes: string[];
  /** Corpus A's disk rebuild, one profiled run: CPU seconds per GiB by part. */
  cpuBreakdown?: CpuBreakdown;
}

const RATIOS: Array<{ name: string; numerator: Subject; denominator: Subject }> = [
  { name: 'disk rebuild / OpenMSIStream', numerator: 'ours-disk', denominator: 'openmsistream-download' },
  { name: 'memory no-op / OpenMSIStream', numerator: 'ours-memory', denominator: 'openmsistream-download' },
  { name: 'disk rebuild / SHA-512 ceiling', numerator: 'ours-disk', denominator: 'hash-ceiling' },
  { name: 'memory no-op / SHA-512 ceiling', numerator: 'ours-memory', denominator: 'hash-ceiling' },
  { name: 'disk rebuild / raw kafkajs consume', numerator: 'ours-disk', denominator: 'kafkajs-raw' },
  { name: 'upload-directory / OpenMSIStream', numerator: 'ours-upload-directory', denominator: 'openmsistream-upload-directory' },
  { name: 'upload-file / OpenMSIStream', numerator: 'ours-upload-file', denominator: 'openmsistream-upload-file' },
  { name: 'upload-file / raw produce', numerator: 'ours-upload-file', denominator: 'raw-produce' },
  // The most any upload of the file could reach against OpenMSIStream on this machine.
  { name: 'raw produce / OpenMSIStream upload-file', numerator: 'raw-produce', denominator: 'openmsistream-upload-file' },
];

function row(rows: Row[], corpus: string, subject: Subject): Row | undefined {
  return rows.find((r) => r.corpus === corpus && r.subject === subject && r.ok);
}

export function computeRatios(rows: Row[], corpora: string[]): Ratio[] {
  const out: Ratio[] = [];
  for (const corpus of corpora) {
    for (const r of RATIOS) {
      const a = row(rows, corpus, r.numerator);
      const b = row(rows, corpus, r.denominator);
      if (!rows.some((x) => x.corpus === corpus && (x.subject === r.numerator || x.subject === r.denominator))) continue;
      const value = a?.mibPerSec && b?.mibPerSec ? Math.round((a.mibPerSec / b.mibPerSec) * 100) / 100 : null;
      out.push({ corpus, ...r, value });
    }
  }
  return out;
}

function ratioOf(ratios: Ratio[], corpus: string, numerator: Subject, denominator: Subject): number | null {
  return ratios.find((r) => r.corpus === corpus && r.numerator === numerator && r.denominator === denominator)?.value ?? null;
}

const fmt = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));

/**
 * The speed issue's targets (fair timing, both toolkits alike). On a `--quick` run they are
 * computed on the small corpora (indicative only).
 */
export function computeTargets(rows: Row[], ratios: Ratio[], memoryBudgetMiB: number): Target[] {
  const targets: Target[] = [];
  const atLeast = (name: string, corpus: string, ours: Subject, theirs: Subject, goal: number): void => {
    const r = ratioOf(ratios, corpus, ours, theirs);
    if (r === null && !rows.some((x) => x.corpus === corpus && x.subject === ours)) return;
    targets.push({ name: `${corpus}: ${name}`, goal: `>= ${goal}x`, measured: `${fmt(r, 2)}x`, met: r === null ? null : r >= goal });
  };
  atLeast('disk rebuild vs OpenMSIStream DataFileDownloadDirectory', 'A', 'ours-disk', 'openmsistream-download', 2.5);
  atLeast('upload-directory vs OpenMSIStream', 'A', 'ours-upload-directory', 'openmsistream-upload-directory', 2);
  atLeast('upload-file vs OpenMSIStream UploadDataFile', 'A', 'ours-upload-file', 'openmsistream-upload-file', 2);
  atLeast('many-file disk rebuild vs OpenMSIStream', 'C', 'ours-disk', 'openmsistream-download', 2);
  for (const corpus of ['B', 'C']) atLeast('many-file upload-directory vs OpenMSIStream', corpus, 'ours-upload-directory', 'openmsistream-upload-directory', 3);
  const diskA = row(rows, 'A', 'ours-disk')?.peakRssMiB ?? null;
  targets.push({ name: 'A: disk-mode peak RSS', goal: '<= 200 MiB', measured: `${fmt(diskA)} MiB`, met: diskA === null ? null : diskA <= 200 });
  const diskX = row(rows, 'X', 'ours-disk')?.peakRssMiB ?? null;
  const sizeA = rows.find((r) => r.corpus === 'A')?.bytes;
  const sizeX = rows.find((r) => r.corpus === 'X')?.bytes;
  const flat = diskA !== null && diskX !== null ? diskX <= Math.max(diskA * 1.25, diskA + 32) : null;
  targets.push({
    name: 'disk-mode peak RSS flat as file size grows (A -> X)',
    goal: 'X within 25% (or 32 MiB) of A',
    measured: `${fmt(diskA)} MiB (${sizeA ? mib(sizeA / 2) : '?'} files) -> ${fmt(diskX)} MiB (${sizeX ? mib(sizeX) : '?'} file)`,
    met: flat,
  });
  for (const corpus of ['A', 'B', 'C']) {
    const mem = row(rows, corpus, 'ours-memory')?.peakRssMiB ?? null;
    if (mem === null && !rows.some((r) => r.corpus === corpus && r.subject === 'ours-memory')) continue;
    targets.push({
      name: `${corpus}: memory-mode peak RSS`,
      goal: `<= budget + 100 MiB (${memoryBudgetMiB + 100} MiB)`,
      measured: `${fmt(mem)} MiB`,
      met: mem === null ? null : mem <= memoryBudgetMiB + 100,
    });
  }
  return targets;
}

function mib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(0)} GiB` : `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

const SUBJECT_ORDER: Subject[] = [
  'ours-disk',
  'ours-memory',
  'openmsistream-download',
  'hash-ceiling',
  'kafkajs-raw',
  'ours-upload-directory',
  'openmsistream-upload-directory',
  'ours-upload-file',
  'openmsistream-upload-file',
  'raw-produce',
];

function sortedRows(rows: Row[], corpus: string): Row[] {
  return rows.filter((r) => r.corpus === corpus).sort((a, b) => SUBJECT_ORDER.indexOf(a.subject) - SUBJECT_ORDER.indexOf(b.subject));
}

function vsColumn(result: BenchResult, r: Row): string {
  const vs = (den: Subject): string => {
    const v = ratioOf(result.ratios, r.corpus, r.subject, den);
    return v === null ? '' : `${v.toFixed(2)}x`;
  };
  if (r.subject === 'ours-disk' || r.subject === 'ours-memory') return [vs('openmsistream-download'), vs('hash-ceiling')].map((s) => s || '-').join(' / ');
  if (r.subject === 'ours-upload-directory') return `${vs('openmsistream-upload-directory') || '-'} / -`;
  if (r.subject === 'ours-upload-file') return [vs('openmsistream-upload-file'), vs('raw-produce')].map((s) => s || '-').join(' / ');
  if (r.subject === 'raw-produce') return `${vs('openmsistream-upload-file') || '-'} / -`;
  return '';
}

export function renderMarkdown(result: BenchResult): string {
  const lines: string[] = [];
  lines.push(`# Benchmark ${result.date}${result.quick ? ' (quick)' : ''}`);
  lines.push('');
  const m = result.machine;
  lines.push(
    `Machine: ${m.cpus} x ${m.cpuModel}, ${Math.round(m.memTotalMiB / 1024)} GiB RAM, Node ${m.node}. datafile-stream ${result.versions.datafileStream}, ` +
      `openmsistream ${result.versions.openmsistream ?? 'n/a'}, Kafka ${result.versions.kafkaBroker ?? 'n/a'} (local, single node), kafkajs ${result.versions.kafkajs}; our programs on the ${result.settings.engine ?? 'kafkajs'} engine. ` +
      `Config: \`${result.settings.config}\` for both toolkits (LZ4), chunk size ${result.settings.chunkSize}, ${result.settings.consumerThreads} threads (both defaults), memory budget ${result.settings.memoryBudgetMiB} MiB.`,
  );
  lines.push('');
  lines.push(
    'Throughput is MiB/s of file payload, from the median time of the rounds. Consumers (ours, OpenMSIStream\'s and the raw kafkajs ceiling) are timed from process start until their consumer group\'s committed offsets reach the end of every partition, as the bench sees them through the admin API; "steady" times from the first sign of the group at work (the broker reports it joined, or its first commit, whichever the bench saw first) to the end, leaving out process start-up and the join. Uploaders, and the raw produce ceiling (the same file read once and produced through the same client, config and batching, with no hashing and no chunk encoding), are timed from process start until the topic\'s end offsets hold every record. Spread is min-max over the rounds. The SHA-512 ceiling times only its hashing. Peak RSS is VmHWM from /proc/<pid>/status; CPU s is user + system time of all the program\'s threads from /proc/<pid>/stat (steadier than wall time on a busy machine). "vs" = ours / OpenMSIStream and ours / ceiling (SHA-512 for consumers, raw produce for upload-file), by MiB/s; the raw produce row\'s "vs" is the most an upload-file could reach against OpenMSIStream here.',
  );
  lines.push('');
  for (const corpus of result.corpora) {
    lines.push(`## ${corpus.name}: ${corpus.description} (${mib(corpus.totalBytes)})`);
    lines.push('');
    lines.push('| run | MiB/s | files/s | seconds (spread) | steady s (spread) | peak RSS MiB | CPU s | MiB per CPU s | vs OpenMSIStream / vs ceiling | verified | load (1 min) |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|');
    for (const r of sortedRows(result.rows, corpus.name)) {
      const what = r.kind === 'upload' ? `upload: ${r.label}` : r.label;
      const seconds = withSpread(r.seconds, r.spread?.seconds);
      const steady = r.steadySeconds === undefined ? '-' : withSpread(r.steadySeconds, r.spread?.steadySeconds);
      const status = !r.ok
        ? `FAILED: ${firstLine(r.error)}`
        : r.partial
          ? `capped: ${r.partial.records} of ${r.partial.of} records`
          : r.verified === null
            ? '-'
            : r.verified
              ? 'yes'
              : 'NO';
      const retried = r.retriedAfter ? ` (second run; the first failed: ${firstLine(r.retriedAfter)})` : '';
      lines.push(
        `| ${what} | ${fmt(r.mibPerSec)} | ${fmt(r.filesPerSec, r.filesPerSec !== null && r.filesPerSec < 10 ? 2 : 1)} | ${seconds} | ${steady} | ${fmt(r.peakRssMiB)} | ${fmt(r.cpuSeconds)} | ${fmt(r.mibPerCpuSecond)} | ${vsColumn(result, r)} | ${status}${retried} | ${r.loadAvg1.before.toFixed(1)} -> ${r.loadAvg1.after.toFixed(1)} |`,
      );
    }
    lines.push('');
  }
  const timelines = result.rows.filter((r) => r.subject === 'ours-disk' && r.ok && r.rssTimeline && r.rssTimeline.length > 0);
  if (timelines.length > 0) {
    lines.push('## Disk-mode RSS during the run');
    lines.push('');
    lines.push('VmRSS (MiB) at ten even points from start to the end (the group commits reaching the topic end), in the last round: flat means memory does not follow file size.');
    lines.push('');
    for (const r of timelines) {
      const corpus = result.corpora.find((c) => c.name === r.corpus);
      lines.push(`- ${r.corpus} (${corpus ? mib(corpus.fileBytes) : '?'} files): ${r.rssTimeline!.map((p) => `${p.rssMiB} @${p.atSeconds}s`).join(', ')}`);
    }
    lines.push('');
  }
  if (result.cpuBreakdown) lines.push(...breakdownLines(result.cpuBreakdown));
  lines.push('## Targets');
  lines.push('');
  lines.push('| target | goal | measured | met |');
  lines.push('|---|---|---|---|');
  for (const t of result.targets) lines.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${t.met === null ? 'not measured' : t.met ? 'yes' : 'no'} |`);
  lines.push('');
  if (result.notes.length > 0) {
    lines.push('## Notes');
    lines.push('');
    for (const n of result.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** `12.34 (11.90-13.02)`: the median and the min-max of the rounds, when there was more than one. */
function withSpread(value: number | null | undefined, spread: [number, number] | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  if (!spread || spread[0] === spread[1]) return value.toFixed(2);
  return `${value.toFixed(2)} (${spread[0].toFixed(2)}-${spread[1].toFixed(2)})`;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0]!.replaceAll('|', '\\|').slice(0, 160);
}

const COLORS: Partial<Record<Subject, string>> = {
  'ours-disk': '#1f77b4',
  'ours-memory': '#6baed6',
  'openmsistream-download': '#ff7f0e',
  'hash-ceiling': '#7f7f7f',
  'kafkajs-raw': '#bcbd22',
  'ours-upload-directory': '#2ca02c',
  'openmsistream-upload-directory': '#d62728',
  'ours-upload-file': '#98df8a',
  'openmsistream-upload-file': '#ff9896',
  'raw-produce': '#c5b0d5',
};

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/**
 * Horizontal bars of MiB/s, one panel per corpus, each panel on its own linear scale (the
 * corpora differ by two orders of magnitude), with the value and peak RSS written at the bar.
 */
export function renderSvg(result: BenchResult): string {
  const width = 860;
  const labelWidth = 300;
  const barMax = width - labelWidth - 190;
  const barHeight = 16;
  const gap = 5;
  const parts: string[] = [];
  let y = 40;
  parts.push(`<text x="12" y="24" font-size="16" font-weight="bold">datafile-stream benchmark ${escapeXml(result.date)}${result.quick ? ' (quick)' : ''}: MiB/s of file payload (peak RSS)</text>`);
  for (const corpus of result.corpora) {
    const rows = sortedRows(result.rows, corpus.name);
    if (rows.length === 0) continue;
    y += 18;
    parts.push(`<text x="12" y="${y}" font-size="13" font-weight="bold">${escapeXml(`${corpus.name}: ${corpus.description}`)}</text>`);
    y += 8;
    const max = Math.max(1, ...rows.map((r) => r.mibPerSec ?? 0));
    for (const r of rows) {
      const w = r.mibPerSec ? Math.max(1, (r.mibPerSec / max) * barMax) : 0;
      const label = r.kind === 'upload' ? `upload: ${r.label}` : r.label;
      parts.push(`<text x="${labelWidth - 6}" y="${y + barHeight - 4}" font-size="11" text-anchor="end">${escapeXml(label)}</text>`);
      if (r.ok && r.mibPerSec !== null) {
        parts.push(`<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${COLORS[r.subject] ?? '#999'}"/>`);
        const rss = `${r.peakRssMiB === null ? '' : ` (${r.peakRssMiB.toFixed(0)} MiB)`}${r.partial ? ' capped' : ''}`;
        parts.push(`<text x="${(labelWidth + w + 5).toFixed(1)}" y="${y + barHeight - 4}" font-size="11">${r.mibPerSec.toFixed(1)}${escapeXml(rss)}</text>`);
      } else {
        parts.push(`<text x="${labelWidth + 4}" y="${y + barHeight - 4}" font-size="11" fill="#d62728">failed</text>`);
      }
      y += barHeight + gap;
    }
  }
  y += 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${y}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

const PART_NAMES: Record<CpuPart, string> = {
  client: 'Kafka client (kafkajs fetch, protocol, sockets)',
  lz4: 'LZ4 codec (TypeScript, called by kafkajs)',
  decode: 'chunk decoding (msgpack fields)',
  hashing: 'SHA-512 (worker threads, and posting to them)',
  writes: 'staging writes (write, fsync, rename)',
  gc: 'garbage collection',
  other: "the rest (stages, streams, timers, native code)",
};

function breakdownLines(b: CpuBreakdown): string[] {
  return [
    '## Where the rebuild\'s CPU goes (A, one profiled run)',
    '',
    `One more disk rebuild of corpus A, untimed, under \`node --cpu-prof\`: its measured CPU time, ${b.cpuSecondsPerGiB} s per GiB, shared out by part (bench/cpu-breakdown.ts). ${b.hashingMeasured ? "SHA-512 is its own cost as the ceiling row measured it (one pass per byte); the rest is shared out by where the main thread's" : "It is shared out by where the"} ${b.sampledSeconds} non-idle sampled seconds fell. Samples count wall time, so on a busy machine the shares are approximate.`,
    '',
    '| part | CPU s per GiB |',
    '|---|---:|',
    ...CPU_PARTS.map((p) => `| ${PART_NAMES[p]} | ${b.parts[p]} |`),
    '',
  ];
}