/**
 * Why a user's module did not load, in words a user can act on: where a syntax error is, and
 * whether the file was loaded as CommonJS. datafile-stream is an ES module package, and a new
 * app (`npm init -y`) is CommonJS, so a processor copied from the README into `my-processor.ts`
 * or `.js` fails there in three different ways, none of which mentions the module format.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/** Failures that mean "ESM code was loaded as CommonJS" (Node's and tsx's wording). */
const COMMONJS_SYMPTOMS = [
  /Cannot use import statement outside a module/,
  /Unexpected token 'export'/,
  /await is only valid in async functions and the top level bodies of modules/,
  /Top-level await is currently not supported with the "?cjs"? output format/,
  /Cannot require\(\) ES Module/,
];
const COMMONJS_CODES = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_CYCLE_MODULE', 'ERR_REQUIRE_ASYNC_MODULE']);

export function isTypeScript(path: string): boolean {
  return /\.[cm]?ts$/.test(path);
}

/** The package.json Node consults for `path`'s module format, and its "type". */
export function moduleScope(path: string): { packageJson?: string; type: 'module' | 'commonjs' } {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const type = (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type;
        return { packageJson: file, type: type === 'module' ? 'module' : 'commonjs' };
      } catch {
        return { packageJson: file, type: 'commonjs' };
      }
    }
    if (dirname(dir) === dir) return { type: 'commonjs' };
  }
}

/**
 * A one-line hint when `path` loads (or failed to load) as CommonJS: a .js/.ts file in a package
 * without "type": "module" that failed with a syntax error (or with no error given), or any error
 * with a CommonJS symptom. Undefined when the format is not the problem.
 */
export function commonJsHint(path: string, err?: unknown): string | undefined {
  const ext = extname(path);
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null | undefined)?.code;
  const symptom = COMMONJS_SYMPTOMS.some((re) => re.test(message)) || (typeof code === 'string' && COMMONJS_CODES.has(code));
  const scope = ext === '.js' || ext === '.ts' ? moduleScope(path) : undefined;
  const loadsAsCommonJs = scope?.type === 'commonjs' || ext === '.cjs' || ext === '.cts';
  // Without an error the caller already knows the format is the problem (a second copy of the
  // base class); a syntax error in a CommonJS file is most often ESM syntax.
  if (!symptom && !(loadsAsCommonJs && (err === undefined || err instanceof SyntaxError))) return undefined;
  const esmName = ext.endsWith('ts') ? '.mts' : '.mjs';
  if (scope?.type === 'commonjs') {
    const why = scope.packageJson ? `${scope.packageJson} has no "type": "module"` : 'no package.json above it says "type": "module"';
    return `hint: datafile-stream is an ES module package and ${basename(path)} loads as CommonJS (${why}): add "type": "module" to the app's package.json, or name the file ${esmName}`;
  }
  return `hint: datafile-stream is an ES module package and this processor (or a module it imports) loads as CommonJS: use "type": "module" in package.json, or ${esmName} files`;
}

/**
 * `file:line:column` of the syntax error in `path`, from `node --check` (which prints the line
 * and a caret under the column), or undefined when that check finds nothing (the error is in a
 * module `path` imports).
 */
export function syntaxErrorLocation(path: string): string | undefined {
  // Without NODE_OPTIONS: a loader given there (tsx) has no part in a syntax check.
  const check = spawnSync(process.execPath, ['--check', path], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, NODE_OPTIONS: '' } });
  if (check.status === 0 || typeof check.stderr !== 'string') return undefined;
  // A warning about the module format may come first.
  const lines = check.stderr.split('\n');
  const at = lines.findIndex((l) => /^.+:\d+$/.test(l));
  const head = at < 0 ? null : /^(.+):(\d+)$/.exec(lines[at]!);
  if (!head) return undefined;
  const caret = lines.slice(at + 1, at + 4).find((l) => /^\s*\^/.test(l));
  return caret === undefined ? `${head[1]}:${head[2]}` : `${head[1]}:${head[2]}:${caret.indexOf('^') + 1}`;
}
