/**
 * config-file: find and read an OpenMSIStream config file (SPEC §6).
 *
 * In: a config NAME or path, and an environment. Out: `{ path, sections }`, where `sections`
 * maps each section name to its `key -> value` strings, read the way Python's
 * `configparser.ConfigParser()` reads them, because OpenMSIStream's files must work unchanged:
 *   - `key = value` or `key : value`; the first `=` or `:` splits; keys are lowercased
 *     (configparser's `optionxform`), section names keep their case; values are trimmed.
 *   - whole-line `#` / `;` comments only: `a = b # c` keeps `b # c`, as configparser does.
 *   - lines indented deeper than their key continue its value (joined with `\n`).
 *   - `[DEFAULT]` is folded into every section and is not itself returned.
 *   - `%(key)s` interpolation and `%%`; a lone `%` is an error, as in Python.
 *   - duplicate sections or keys, keys without a delimiter, text before the first section
 *     header: ERR_CONFIG_PARSE with the line number (configparser's strict mode).
 * Then every value that starts with `$` is expanded from the environment (`$NAME`, `${NAME}`);
 * an unset variable is ERR_CONFIG_ENV_UNSET naming the variable, section and key.
 *
 * OpenMSIStream expands a section only when a program asks for it, so an S3 config also works
 * for uploads without S3 variables set. `expand` gives callers the same choice: sections not
 * listed are returned with `$` values as written. By default every section is expanded.
 *
 * Name lookup: an existing path is used as-is; a bare NAME (no separator; `.config` optional) is
 * looked for in `$OPENMSISTREAM_CONFIG_FILE_DIR`, then in the package's bundled `config/`.
 * Everything is synchronous: configs are read once, at startup, before any stream exists.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';

export type ConfigSections = Record<string, Record<string, string>>;

export interface ConfigFile {
  /** Absolute path of the file that was read. */
  path: string;
  sections: ConfigSections;
}

export interface ParseConfigOptions {
  /** Sections whose `$` values are expanded; default every section. */
  expand?: readonly string[];
  /** Named in error messages; default `<text>`. */
  source?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export const CONFIG_FILE_EXT = '.config';
export const CONFIG_DIR_ENV = 'OPENMSISTREAM_CONFIG_FILE_DIR';
const PACKAGE_NAME = 'datafile-stream';
const DEFAULT_SECTION = 'DEFAULT';
const MAX_INTERPOLATION_DEPTH = 10; // configparser's MAX_INTERPOLATION_DEPTH

let bundledDir: string | null | undefined;

/**
 * The package's bundled `config/` directory, or null if the package root cannot be found.
 * Found by walking up from this module, which runs from `lib/config/` (tsx) and from
 * `dist/lib/config/` (built), to the directory whose package.json is named datafile-stream.
 */
export function bundledConfigDir(): string | null {
  if (bundledDir !== undefined) return bundledDir;
  bundledDir = null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        if (name === PACKAGE_NAME) {
          bundledDir = join(dir, 'config');
          break;
        }
      } catch {
        // an unreadable package.json on the way up is not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return bundledDir;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Turn `--config` into the path of an existing file, or throw ERR_CONFIG_NOT_FOUND. */
export function resolveConfigPath(nameOrPath: string, env: Env = process.env): string {
  if (nameOrPath !== '' && isFile(nameOrPath)) return resolve(nameOrPath);
  const searched: string[] = [resolve(nameOrPath)];
  const bare = nameOrPath !== '' && !isAbsolute(nameOrPath) && !nameOrPath.includes('/') && !nameOrPath.includes(sep);
  if (bare) {
    const names = nameOrPath.endsWith(CONFIG_FILE_EXT) ? [nameOrPath] : [nameOrPath + CONFIG_FILE_EXT, nameOrPath];
    const envDir = env[CONFIG_DIR_ENV];
    const dirs = [envDir ? resolve(envDir) : null, bundledConfigDir()].filter((d): d is string => d !== null);
    for (const dir of dirs) {
      for (const name of names) {
        const candidate = join(dir, name);
        if (isFile(candidate)) return candidate;
        searched.push(candidate);
      }
    }
  }
  throw new ConfigError(
    'ERR_CONFIG_NOT_FOUND',
    `config file "${nameOrPath}" not found; searched: ${searched.join(', ')}` +
      (bare && !env[CONFIG_DIR_ENV] ? ` (${CONFIG_DIR_ENV} is not set)` : ''),
    { path: nameOrPath, searched },
  );
}

/** Read and parse one config file (see the header for the dialect). */
export function readConfigFile(path: string, env: Env = process.env, options: Omit<ParseConfigOptions, 'source'> = {}): ConfigFile {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR';
    throw new ConfigError(
      missing ? 'ERR_CONFIG_NOT_FOUND' : 'ERR_CONFIG_PARSE',
      `cannot read config file ${absolute}: ${(err as Error).message}`,
      { path: absolute },
      err,
    );
  }
  return { path: absolute, sections: parseConfigText(text, env, { ...options, source: absolute }) };
}

/** `resolveConfigPath` then `readConfigFile`: what `--config NAME` means. */
export function loadConfig(nameOrPath: string, env: Env = process.env, options: Omit<ParseConfigOptions, 'source'> = {}): ConfigFile {
  return readConfigFile(resolveConfigPath(nameOrPath, env), env, options);
}

/** Parse config text as configparser would, then expand `$` values (see the header). */
export function parseConfigText(text: string, env: Env = process.env, options: ParseConfigOptions = {}): ConfigSections {
  const source = options.source ?? '<text>';
  const raw = readSections(text, source);
  const defaults = raw.get(DEFAULT_SECTION) ?? new Map<string, string>();
  const expand = options.expand ? new Set(options.expand) : null;
  const sections: ConfigSections = {};
  for (const [name, own] of raw) {
    if (name === DEFAULT_SECTION) continue;
    // configparser's order: the section's own keys, then DEFAULT keys it does not override
    const merged = new Map([...own, ...[...defaults].filter(([key]) => !own.has(key))]);
    const section: Record<string, string> = {};
    for (const key of merged.keys()) {
      let value = interpolate(merged, key, source, name);
      if (value.startsWith('$') && (expand === null || expand.has(name))) {
        value = expandEnv(value, env, source, name, key);
      }
      define(section, key, value);
    }
    define(sections, name, section);
  }
  return sections;
}

/** Set an own property even for names like `__proto__`, which configparser accepts. */
function define<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function parseError(source: string, lineNo: number, message: string): ConfigError {
  return new ConfigError('ERR_CONFIG_PARSE', `${source}:${lineNo}: ${message}`, { path: source, line: lineNo });
}

/** configparser's `_read`: sections in file order, values still as lists of lines. */
function readSections(text: string, source: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string[]>>();
  const seen = new Set<string>(); // configparser's elements_added, for strict duplicate checks
  let current: Map<string, string[]> | null = null;
  let sectionName = '';
  let option: string | null = null;
  let indentLevel = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    const trimmed = line.trim();
    const isComment = trimmed.startsWith('#') || trimmed.startsWith(';');
    const value = isComment ? '' : trimmed;
    if (value === '') {
      // Blank lines belong to a multi-line value if one continues after them; comments do not.
      if (!isComment && current && option !== null) current.get(option)?.push('');
      return;
    }
    const indent = line.search(/\S/);
    if (current && option !== null && indent > indentLevel) {
      current.get(option)?.push(value);
      return;
    }
    indentLevel = indent;
    const header = /^\[(.+)\]/.exec(value);
    if (header) {
      sectionName = header[1] as string;
      if (sectionName !== DEFAULT_SECTION && seen.has(sectionName)) {
        throw parseError(source, lineNo, `duplicate section [${sectionName}]`);
      }
      if (sectionName !== DEFAULT_SECTION) seen.add(sectionName);
      current = sections.get(sectionName) ?? new Map<string, string[]>();
      sections.set(sectionName, current);
      option = null;
      return;
    }
    if (!current) throw parseError(source, lineNo, `text before the first [section] header: ${JSON.stringify(line)}`);
    const pair = /^(.*?)\s*[=:]\s*(.*)$/.exec(value);
    if (!pair || pair[1] === '') {
      throw parseError(source, lineNo, `expected "key = value" in [${sectionName}]: ${JSON.stringify(line)}`);
    }
    option = (pair[1] as string).trimEnd().toLowerCase();
    const qualified = `${sectionName}\u0000${option}`;
    if (seen.has(qualified)) throw parseError(source, lineNo, `duplicate key "${option}" in [${sectionName}]`);
    seen.add(qualified);
    current.set(option, [(pair[2] as string).trim()]);
  });
  const joined = new Map<string, Map<string, string>>();
  for (const [name, options] of sections) {
    joined.set(name, new Map([...options].map(([key, parts]) => [key, parts.join('\n').trimEnd()])));
  }
  return joined;
}

/** configparser's BasicInterpolation: `%(key)s` from the same section (or DEFAULT), `%%` -> `%`. */
function interpolate(section: Map<string, string>, key: string, source: string, sectionName: string, depth = 0): string {
  const where = `${sectionName}.${key}`;
  if (depth > MAX_INTERPOLATION_DEPTH) {
    throw new ConfigError('ERR_CONFIG_PARSE', `${source}: interpolation of ${where} is nested too deeply`, { path: source, option: where });
  }
  const value = section.get(key) ?? '';
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const next = value[i + 1];
    if (next === '%') {
      out += '%';
      i++;
      continue;
    }
    const ref = next === '(' ? /^%\(([^)]+)\)s/.exec(value.slice(i)) : null;
    if (!ref) {
      throw new ConfigError('ERR_CONFIG_PARSE', `${source}: ${where}: "%" must be followed by "%" or "(name)s" (write %% for a literal %)`, {
        path: source,
        option: where,
      });
    }
    const name = (ref[1] as string).toLowerCase();
    if (!section.has(name)) {
      throw new ConfigError('ERR_CONFIG_PARSE', `${source}: ${where} refers to %(${name})s, which [${sectionName}] does not define`, {
        path: source,
        option: where,
      });
    }
    out += interpolate(section, name, source, sectionName, depth + 1);
    i += ref[0].length - 1;
  }
  return out;
}

/** Expand `$NAME` and `${NAME}` (Python's os.path.expandvars syntax); unset is an error. */
function expandEnv(value: string, env: Env, source: string, section: string, key: string): string {
  return value.replace(/\$(\w+|\{[^}]*\})/g, (_match, ref: string) => {
    const variable = ref.startsWith('{') ? ref.slice(1, -1) : ref;
    // own properties only: `$constructor` must not expand to Object.prototype.constructor
    const expanded = Object.hasOwn(env, variable) ? env[variable] : undefined;
    if (typeof expanded !== 'string') {
      throw new ConfigError(
        'ERR_CONFIG_ENV_UNSET',
        `environment variable ${variable} is not set (needed by ${section}.${key} in ${source})`,
        { path: source, variable, section, key, option: `${section}.${key}` },
      );
    }
    return expanded;
  });
}
