#!/usr/bin/env node
// Checks that imports in lib/ point down the folder map (STYLE.md): each floor imports only the
// floors below it; the consumer stages never import one another; the building blocks may use
// one another. Prints each import that points up or sideways and exits 1 if there is one.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Floor of each folder under lib/ ('.' is the ground floor's files); a higher floor sits above. */
export const FLOORS = {
  '.': 0,
  codec: 1, config: 1, paths: 1, log: 1, registry: 1, flow: 1, faults: 1, s3: 1,
  kafka: 2,
  broker: 3, producer: 3, telemetry: 3,
  source: 4, assembler: 4, sinks: 4, processing: 4, offsets: 4,
  pipeline: 5,
  programs: 6,
  cli: 7,
};
/** Floors whose folders may not import each other (the stages: data flows between them, not imports). */
const SEALED = new Set([4]);
const ENTRY = /^index(-[\w-]+)?\.ts$/; // lib/index.ts and subpath entries sit on top of everything

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** `lib/<folder>/...` -> folder ('.' for lib/*.ts), or null for an entry file. */
function folderOf(file) {
  const rel = relative(join(root, 'lib'), file).split('/');
  if (rel.length === 1) return ENTRY.test(rel[0]) ? null : '.';
  return rel[0];
}

export function violations() {
  const found = [];
  for (const file of walk(join(root, 'lib'))) {
    const from = folderOf(file);
    if (from === null) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), m[1]).replace(/\.js$/, '.ts');
      const to = folderOf(target);
      const where = `${relative(root, file)} -> ${relative(root, target)}`;
      if (to === null) { found.push(`${where}: imports a public entry`); continue; }
      if (to === from) continue;
      const [a, b] = [FLOORS[from], FLOORS[to]];
      if (a === undefined || b === undefined) found.push(`${where}: folder not on the map (add it to FLOORS)`);
      else if (b > a) found.push(`${where}: points up (floor ${a} imports floor ${b})`);
      else if (a === b && SEALED.has(a)) found.push(`${where}: one stage imports another`);
    }
  }
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const found = violations();
  for (const line of found) console.log(line);
  console.log(found.length === 0 ? 'imports point down the map' : `${found.length} imports break the map`);
  process.exit(found.length === 0 ? 0 : 1);
}
