import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commonJsHint, moduleScope, syntaxErrorLocation } from '../../lib/cli/module-diagnostics.js';
import { tempDir } from '../support/temp-dir.js';

/** What plain Node (no tsx) throws when it imports `path`. */
function plainImportError(path: string): SyntaxError {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(path)}).catch((e) => { console.log(JSON.stringify({ name: e.name, message: e.message })); })`], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const { name, message } = JSON.parse(r.stdout) as { name: string; message: string };
  assert.equal(name, 'SyntaxError');
  return new SyntaxError(message);
}

test('moduleScope finds the nearest package.json and its "type"', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', type: 'commonjs' }));
  await mkdir(join(dir, 'src/esm'), { recursive: true });
  await writeFile(join(dir, 'src/esm/package.json'), JSON.stringify({ type: 'module' }));
  assert.deepEqual(moduleScope(join(dir, 'src/p.js')), { packageJson: join(dir, 'package.json'), type: 'commonjs' });
  assert.deepEqual(moduleScope(join(dir, 'src/esm/p.js')), { packageJson: join(dir, 'src/esm/package.json'), type: 'module' });
});

test('Node\'s error for an import statement in a CommonJS app gets the hint; an ESM file does not', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'commonjs' }));
  const path = join(dir, 'my-processor.js');
  await writeFile(path, `import { x } from 'node:path';\nexport default class P {}\n`);
  const err = plainImportError(path);
  assert.match(err.message, /Cannot use import statement outside a module/);
  assert.equal(
    commonJsHint(path, err),
    `hint: datafile-stream is an ES module package and my-processor.js loads as CommonJS (${join(dir, 'package.json')} has no "type": "module"): add "type": "module" to the app's package.json, or name the file .mjs`,
  );
  assert.equal(syntaxErrorLocation(path), `${path}:1:1`);
  assert.equal(commonJsHint(join(dir, 'my-processor.mjs'), new SyntaxError("Unexpected token ';'")), undefined);
  assert.equal(commonJsHint(path, new Error('Cannot find module x')), undefined);
});

test('syntaxErrorLocation is undefined for a file that parses', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'fine.mjs');
  await writeFile(path, 'export default 1;\n');
  assert.equal(syntaxErrorLocation(path), undefined);
});
