/**
 * The fault table: one console line per scenario while the matrix runs, and the Markdown file
 * `bench/results/faults-<date>.md` (the table, then each scenario's checks and notes).
 */
import { passed, type ScenarioResult } from './scenario.js';

function verdict(r: ScenarioResult): string {
  if (r.skipped) return 'SKIPPED';
  if (r.error) return 'ERROR';
  return passed(r) ? 'PASS' : 'FAIL';
}

function dup(r: ScenarioResult): string {
  return r.duplicateBound === undefined ? String(r.duplicates) : `${r.duplicates} (<= ${r.duplicateBound})`;
}

export function consoleLine(r: ScenarioResult): string {
  if (r.skipped) return `${String(r.id).padStart(2)}. ${r.title}: SKIPPED (${r.skipped})`;
  if (r.error) return `${String(r.id).padStart(2)}. ${r.title}: ERROR ${r.error}`;
  return (
    `${String(r.id).padStart(2)}. ${r.title.padEnd(44)} files ${String(r.files).padStart(4)}  faults ${String(r.faults).padStart(4)}  ` +
    `lost ${r.lost}  wrong ${r.wrong}  dup ${dup(r)}  outside ${r.outsideBytes} B/${r.outsideEntries}  uncommitted ${r.uncommitted}  ` +
    `${verdict(r)} (${r.seconds} s)`
  );
}

const HEAD = [
  '| # | scenario | files | faults injected | lost | wrong bytes | duplicate processing | bytes outside output dir | uncommitted at end | result | time |',
  '|---|---|---:|---|---:|---:|---:|---:|---:|---|---:|',
];

export function markdown(results: ScenarioResult[], meta: { date: string; seed: number; quick: boolean; only?: number[]; node: string; commit: string; totalSeconds: number }): string {
  const flags = [...(meta.quick ? ['--quick'] : []), ...(meta.only && meta.only.length > 0 ? [`--only ${meta.only.join(',')}`] : [])];
  const rows = results.map((r) =>
    r.skipped || r.error
      ? `| ${r.id} | ${r.title} | | ${r.skipped ? `skipped: ${r.skipped}` : `error: ${r.error}`} | | | | | | ${verdict(r)} | ${r.seconds} s |`
      : `| ${r.id} | ${r.title} | ${r.files} | ${r.faults}: ${r.faultsDetail} | ${r.lost} | ${r.wrong} | ${dup(r)} | ${r.outsideBytes}${r.outsideEntries ? ` (${r.outsideEntries} entries)` : ''} | ${r.uncommitted} | ${verdict(r)} | ${r.seconds} s |`,
  );
  const details = results.flatMap((r) => [
    '',
    `### ${r.id}. ${r.title}`,
    '',
    ...r.checks.map((c) => `- [${c.ok ? 'x' : ' '}] ${c.name}${c.detail ? `: ${c.detail}` : ''}`),
    ...r.notes.map((n) => `- ${n}`),
  ]);
  return [
    `# Fault matrix, ${meta.date}`,
    '',
    `\`npm run faults${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}\` (seed ${meta.seed}, ${meta.node}, commit ${meta.commit}, ${Math.round(meta.totalSeconds)} s in all).`,
    'Oracle: 0 lost, 0 wrong bytes, 0 bytes outside the output directory, 0 uncommitted records at the end,',
    'duplicates within their bound; plus the checks listed per scenario.',
    '',
    ...HEAD,
    ...rows,
    ...details,
    '',
  ].join('\n');
}
