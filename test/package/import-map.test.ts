import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error a plain script without types: it runs as `node scripts/check-imports.mjs` too
import { FLOORS, violations } from '../../scripts/check-imports.mjs';

const LIB = fileURLToPath(new URL('../../lib/', import.meta.url));

test('every import in lib/ points down the folder map (no stage imports another, the composer, the programs or the CLI)', () => {
  assert.deepEqual(violations(), []);
});

test('every folder of lib/ is on the map', () => {
  const folders = readdirSync(LIB).filter((name) => statSync(join(LIB, name)).isDirectory());
  assert.deepEqual(folders.filter((name) => !(name in (FLOORS as Record<string, number>))), []);
});
