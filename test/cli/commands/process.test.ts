import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadProcessor, run } from '../../../lib/cli/commands/process.js';
import { ConfigError, isCodedError } from '../../../lib/errors.js';
import { tempDir as sharedTempDir, type AfterHook } from '../../support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// The processor modules below import the base class from the same file the command does, so
// `instanceof` holds as it does for an app that imports 'datafile-stream'.
const BASE = pathToFileURL(join(ROOT, 'lib/programs/data-file-stream-processor.ts')).href;
const ERRORS = pathToFileURL(join(ROOT, 'lib/errors.ts')).href;

async function tempDir(t: AfterHook, packageJson?: object): Promise<string> {
  const dir = await sharedTempDir(t, 'dfs-process-cli-');
  if (packageJson) await writeFile(join(dir, 'package.json'), JSON.stringify(packageJson));
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  assert.fail('expected a rejection');
}

/** The real CLI in a child process: its exit code, stdout and stderr. */
async function cli(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/datafile-stream.ts'), 'process', ...args], { cwd, encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('a class without processDownloadedDataFile is refused at load, naming the class and the method', async (t) => {
  const dir = await tempDir(t, { type: 'module' });
  const path = join(dir, 'no-method.mjs');
  await writeFile(path, `import { DataFileStreamProcessor } from '${BASE}';\nexport default class NoMethod extends DataFileStreamProcessor {}\n`);
  const err = await rejection(loadProcessor(path));
  assert.ok(isCodedError(err));
  assert.equal(err.code, 'ERR_PROCESSOR_INVALID');
  assert.match(err.message, /^NoMethod \(default export of .*no-method\.mjs\) does not define processDownloadedDataFile\(file, lock\)/);
});

test('a method inherited from an intermediate base class counts', async (t) => {
  const dir = await tempDir(t, { type: 'module' });
  const path = join(dir, 'inherited.mjs');
  await writeFile(
    path,
    `import { DataFileStreamProcessor } from '${BASE}';\n` +
      `class Base extends DataFileStreamProcessor { async processDownloadedDataFile() { return undefined; } }\n` +
      `export class Child extends Base {}\n`,
  );
  const Processor = await loadProcessor(path, 'Child');
  assert.equal(Processor.name, 'Child');
});

test('a constructor that throws is reported as the constructor of <Class>, with its message and cause', async (t) => {
  const dir = await tempDir(t, { type: 'module' });
  const path = join(dir, 'thrower.mjs');
  // It throws before super(), so no logger or output directory is created.
  await writeFile(
    path,
    `import { DataFileStreamProcessor } from '${BASE}';\n` +
      `export default class Thrower extends DataFileStreamProcessor {\n` +
      `  constructor(args) { throw new TypeError('no database at db://nowhere'); }\n` +
      `  async processDownloadedDataFile() { return undefined; }\n}\n`,
  );
  const err = await rejection(run([path, '--output_dir', dir, '--topic_name', 'never_used']));
  assert.ok(isCodedError(err));
  assert.equal(err.code, 'ERR_CONSTRUCTOR_FAILED');
  assert.equal(err.message, 'the constructor of Thrower threw: no database at db://nowhere');
  assert.ok(err.cause instanceof TypeError);
});

test('a coded error from a constructor passes through unchanged (it already names its option)', async (t) => {
  const dir = await tempDir(t, { type: 'module' });
  const path = join(dir, 'coded.mjs');
  await writeFile(
    path,
    `import { DataFileStreamProcessor } from '${BASE}';\nimport { ConfigError } from '${ERRORS}';\n` +
      `export default class Coded extends DataFileStreamProcessor {\n` +
      `  constructor(args) { throw new ConfigError('ERR_INVALID_OPTION', '--table must name a table', { option: 'table' }); }\n` +
      `  async processDownloadedDataFile() { return undefined; }\n}\n`,
  );
  const err = await rejection(run([path, '--output_dir', dir, '--topic_name', 'never_used']));
  assert.ok(err instanceof ConfigError);
  assert.equal(err.code, 'ERR_INVALID_OPTION');
  assert.equal(err.message, '--table must name a table');
});

test('a syntax error in an .mjs processor is reported with file:line:column', async (t) => {
  const dir = await tempDir(t, { type: 'module' });
  const path = join(dir, 'broken.mjs');
  await writeFile(path, `const a = 1;\nexport default class Broken {\n  size() { return a +; }\n}\n`);
  const err = await rejection(loadProcessor(path));
  assert.equal(err.code, 'ERR_PROCESSOR_LOAD');
  assert.ok(err.message.includes(`${path}:3:22: SyntaxError: Unexpected token ';'`), err.message);
  assert.doesNotMatch(err.message, /hint/);
});

test('an ESM .js processor in a CommonJS app gets a one-line hint to use "type": "module" or .mjs', async (t) => {
  const dir = await tempDir(t, { name: 'app', version: '1.0.0', type: 'commonjs' });
  const path = join(dir, 'my-processor.js');
  await writeFile(path, `import { DataFileStreamProcessor } from '${BASE}';\nexport default class P extends DataFileStreamProcessor { async processDownloadedDataFile() {} }\n`);
  const err = await rejection(loadProcessor(path));
  // Plain Node refuses the import statement (ERR_PROCESSOR_LOAD, checked in
  // module-diagnostics.test.ts); this test process runs under tsx, which compiles the file to
  // CommonJS instead, so it gets a second copy of the base class (ERR_PROCESSOR_INVALID). The
  // hint is the same either way.
  assert.ok(err.code === 'ERR_PROCESSOR_LOAD' || err.code === 'ERR_PROCESSOR_INVALID', err.code);
  assert.match(err.message, /hint: datafile-stream is an ES module package and my-processor\.js loads as CommonJS \(.*package\.json has no "type": "module"\): add "type": "module" to the app's package\.json, or name the file \.mjs$/);
  assert.doesNotMatch(err.message, /\n/);

  // The same file loads in an app that says "type": "module".
  const esmDir = await tempDir(t, { name: 'app', version: '1.0.0', type: 'module' });
  const esmPath = join(esmDir, 'my-processor.js');
  await writeFile(esmPath, `import { DataFileStreamProcessor } from '${BASE}';\nexport default class P extends DataFileStreamProcessor { async processDownloadedDataFile() {} }\n`);
  assert.equal((await loadProcessor(esmPath)).name, 'P');
});

test('a .ts processor with top-level await in a CommonJS app gets the hint to name it .mts', async (t) => {
  const dir = await tempDir(t, { name: 'app', version: '1.0.0' });
  const path = join(dir, 'my-processor.ts');
  await writeFile(
    path,
    `import { DataFileStreamProcessor } from '${BASE}';\n` +
      `export default class P extends DataFileStreamProcessor { async processDownloadedDataFile() { return undefined; } }\n` +
      `process.exitCode = await Promise.resolve(0);\n`,
  );
  const err = await rejection(loadProcessor(path));
  assert.equal(err.code, 'ERR_PROCESSOR_LOAD');
  assert.match(err.message, /Top-level await/);
  assert.match(err.message, /hint: .*add "type": "module" to the app's package\.json, or name the file \.mts$/);
  assert.doesNotMatch(err.message, /\n/);
});

test('process --help and -h without a module print how to name the module and every processor option', async () => {
  for (const flag of ['--help', '-h']) {
    const r = await cli([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: datafile-stream process <module>/);
    assert.match(r.stdout, /\.mjs/);
    for (const option of ['--topic_name', '--consumer_group_id', '--until_idle', '--n_threads', '--mode']) assert.ok(r.stdout.includes(option), `${flag}: ${option}`);
  }
});

test('-h after a module prints the processor\'s own help', async (t) => {
  const dir = await tempDir(t, { type: 'module' });
  const path = join(dir, 'helpful.mjs');
  await writeFile(path, `import { DataFileStreamProcessor } from '${BASE}';\nexport default class Helpful extends DataFileStreamProcessor { async processDownloadedDataFile() {} }\n`);
  const r = await cli([path, '-h']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: Helpful/);
  assert.match(r.stdout, /--topic_name/);
});

test('a .ts processor without tsx installed says to install tsx or compile it', async (t) => {
  const dir = await tempDir(t, { type: 'module' });
  const path = join(dir, 'typed.ts');
  await writeFile(path, `import { DataFileStreamProcessor } from '${BASE}';\nexport default class Typed extends DataFileStreamProcessor { async processDownloadedDataFile() { return undefined; } }\n`);
  // As when tsx is not installed: a resolve hook refuses tsx's API module (the command's own
  // TypeScript runs through the tsx loader imported before the hook).
  const hooks = join(dir, 'no-tsx-hooks.mjs');
  await writeFile(
    hooks,
    `export async function resolve(specifier, context, next) {\n` +
      `  if (specifier === 'tsx/esm/api') throw Object.assign(new Error("Cannot find package 'tsx'"), { code: 'ERR_MODULE_NOT_FOUND' });\n` +
      `  return next(specifier, context);\n}\n`,
  );
  const register = join(dir, 'no-tsx.mjs');
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', register, join(ROOT, 'bin/datafile-stream.ts'), 'process', path], { cwd: ROOT, encoding: 'utf8' }).then(
    () => assert.fail('expected exit 1'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    'datafile-stream process: ERR_PROCESSOR_LOAD: a TypeScript processor needs the optional "tsx" package installed beside datafile-stream (npm install --save-dev tsx), or compile the processor to .js/.mjs\n',
  );
});
