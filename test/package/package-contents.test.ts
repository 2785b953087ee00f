// What `npm pack` ships and how an app loads it: the package as a new user gets it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

interface PackageJson {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

test('the packed files include a LICENSE and no source maps', async () => {
  // --ignore-scripts: list what is there without rebuilding dist/ under other tests' feet.
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  assert.ok(files.includes('LICENSE'), 'LICENSE is packed');
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} the datafile-stream authors\n/);
  assert.deepEqual(files.filter((f) => f.endsWith('.map')), []);
  assert.ok(files.includes('dist/lib/index.js') && files.includes('dist/bin/datafile-stream.js'));
  // Every target of package.json "exports" ships: the subpath entries and their types.
  const { exports } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
  const targets = Object.values(exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
  assert.ok(targets.includes('./dist/lib/index-s3.js') && targets.includes('./dist/lib/index-broker.d.ts'), 'the s3 and broker subpaths are exported');
  assert.deepEqual(targets.map((target) => target.slice(2)).filter((path) => !files.includes(path)), []);
});

test('the package runs no script when an app installs it (npm 11 warns about each such package)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(pkg.scripts[hook], undefined, `no ${hook} script`);
  assert.ok(pkg.scripts.prepack?.includes('build'), 'npm pack builds dist/ first');
});

test('tsx is an optional peer dependency, not a runtime one', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  assert.equal(pkg.dependencies.tsx, undefined);
  assert.ok(pkg.devDependencies.tsx, 'the scripts and tests run through tsx');
  assert.ok(pkg.peerDependencies?.tsx);
  assert.equal(pkg.peerDependenciesMeta?.tsx?.optional, true);
});

test('a CommonJS script can require("datafile-stream")', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-cjs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Resolved from the repository, as from an app's node_modules: through package.json "exports".
  const script = join(dir, 'app.cjs');
  await writeFile(
    script,
    `const { createRequire } = require('node:module');\n` +
      `const req = createRequire(${JSON.stringify(join(ROOT, 'package.json'))});\n` +
      `const dfs = req('datafile-stream');\n` +
      `console.log(JSON.stringify({ processor: typeof dfs.DataFileStreamProcessor, codes: dfs.ERROR_CODES.length > 0 }));\n`,
  );
  const { stdout } = await run(process.execPath, [script], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.deepEqual(JSON.parse(stdout), { processor: 'function', codes: true });
});
