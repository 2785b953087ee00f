/**
 * Where the time went in a V8 CPU profile (`node --cpu-prof --cpu-prof-dir=DIR ...`): self time
 * by package or file and by function, and optionally the call chains into functions whose name
 * matches a regular expression. How the benchmark's profile findings were made, e.g.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bin/datafile-stream.js download-directory ...
 *   node bench/cpu-profile-summary.mjs /tmp/prof/*.cpuprofile 25 '^(update|digest)$'
 *
 * Usage: node bench/cpu-profile-summary.mjs <profile.cpuprofile> [top N = 30] [caller regexp]
 * Note: the profiler samples wall time on the main thread; on a busy machine time the thread
 * spent descheduled is charged to whatever it was running, so compare shares, not seconds.
 */
import { readFileSync } from 'node:fs';

const [path, topText, callerPattern] = process.argv.slice(2);
if (!path) {
  process.stderr.write('usage: node bench/cpu-profile-summary.mjs <profile.cpuprofile> [top N] [caller regexp]\n');
  process.exit(2);
}
const top = Number(topText ?? 30);
const profile = JSON.parse(readFileSync(path, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parents = new Map();
for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);

const selfTime = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
  total += dt;
});

const shortUrl = (url) => url.replace(/^file:\/\/.*?\/node_modules\//, 'node_modules/').replace(/^file:\/\/.*?\/(dist|lib|bench|bin)\//, '$1/');
const byFunction = new Map();
const byPlace = new Map();
for (const [id, t] of selfTime) {
  const frame = nodes.get(id).callFrame;
  const url = shortUrl(frame.url);
  const fn = `${frame.functionName || '(anonymous)'} ${url}${url ? `:${frame.lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + t);
  const place = url.startsWith('node_modules/') ? url.split('/').slice(0, url.split('/')[1]?.startsWith('@') ? 3 : 2).join('/') : url || frame.functionName;
  byPlace.set(place, (byPlace.get(place) ?? 0) + t);
}

const table = (map) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, t]) => `${(t / 1000).toFixed(0).padStart(8)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');

process.stdout.write(`profile: ${(total / 1e6).toFixed(2)} s sampled\n\n-- self time by package / file\n${table(byPlace)}\n\n-- self time by function\n${table(byFunction)}\n`);

if (callerPattern) {
  const re = new RegExp(callerPattern);
  const chains = new Map();
  for (const [id, t] of selfTime) {
    if (!re.test(nodes.get(id).callFrame.functionName)) continue;
    const chain = [];
    for (let p = parents.get(id); p !== undefined && chain.length < 8; p = parents.get(p)) {
      const f = nodes.get(p).callFrame;
      chain.push(`${f.functionName || '(anonymous)'}@${shortUrl(f.url).split('/').at(-1)}:${f.lineNumber + 1}`);
    }
    const key = chain.join(' < ');
    chains.set(key, (chains.get(key) ?? 0) + t);
  }
  process.stdout.write(`\n-- callers of /${callerPattern}/\n${table(chains)}\n`);
}
