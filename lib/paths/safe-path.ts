/**
 * Where a reconstructed file may be written, decided before a byte is written (SPEC §4: "no byte
 * is written outside the output directory").
 *
 * In: `subdir_str`, `filename` and `filename_append` exactly as they came off the wire. Out: the
 * relative path of the reconstructed file, posix `/` separators, or an UnsafePathError
 * (`ERR_UNSAFE_PATH`) whose enumerable context names the `field`, its `value` and a `reason`.
 * The checks are lexical and platform independent on purpose: a record is judged the same way
 * on Linux and on Windows, so anything that would mean something special on either (`..`, `C:`,
 * `\`, NUL, a leading `/`) is refused everywhere. Not refused: Windows device names (`CON`,
 * `NUL.txt`) and `:` past the first character, both legal on posix, where this consumer runs.
 *
 * `resolveInside` and `assertNoSymlinkEscape` are the second and third lines of defence for the
 * disk sink: the first re-checks lexically against a real root, the second refuses to follow a
 * symlink planted below the root. The symlink check races with anyone who can write in the
 * output directory; sinks still open the final file with O_NOFOLLOW.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { UnsafePathError } from '../errors.js';

/** Longest file or directory name most filesystems accept, in UTF-8 bytes. */
export const MAX_COMPONENT_BYTES = 255;
/** Longest relative path accepted (Linux PATH_MAX), in UTF-8 bytes. */
export const MAX_PATH_BYTES = 4096;

export type UnsafePathField = 'subdirStr' | 'filename' | 'filenameAppend' | 'relativePath';

export interface SafeRelativePath {
  /** Directory components below the output root; empty for a top-level file. */
  subdirParts: string[];
  /** The output file name: `filename` with `filename_append` applied. */
  filename: string;
  /** `subdirParts` and `filename` joined with `/`. */
  relativePath: string;
}

// Lone surrogates cannot be written as UTF-8 (they would become U+FFFD on disk, so two
// different wire names could land on one file); control characters break logs and terminals.
const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u001f\u007f]|\p{Surrogate}/u;
const DRIVE_LETTER = /^[A-Za-z]:/;

export function safeRelativePath(subdirStr: string, filename: string, filenameAppend = ''): SafeRelativePath {
  checkText('subdirStr', subdirStr);
  checkText('filename', filename);
  checkText('filenameAppend', filenameAppend);

  if (subdirStr.startsWith('/')) fail('subdirStr', subdirStr, 'absolute', 'is an absolute path');
  // `""` means the top level; anything else must be `/`-separated non-empty names.
  const subdirParts = subdirStr === '' ? [] : subdirStr.split('/');
  for (const part of subdirParts) checkComponent('subdirStr', subdirStr, part);
  checkComponent('filename', filename, filename);
  if (filenameAppend.includes('/')) fail('filenameAppend', filenameAppend, 'separator', 'contains "/"');

  const outputName = applyFilenameAppend(filename, filenameAppend);
  if (outputName !== filename) checkComponent('filenameAppend', filenameAppend, outputName);

  const relativePath = [...subdirParts, outputName].join('/');
  const bytes = Buffer.byteLength(relativePath, 'utf8');
  if (bytes > MAX_PATH_BYTES) {
    fail('relativePath', relativePath, 'too-long', `is ${bytes} bytes, limit ${MAX_PATH_BYTES}`);
  }
  return { subdirParts, filename: outputName, relativePath };
}

/**
 * `filename` with `append` inserted between its stem and its last suffix, as OpenMSIStream does
 * with `pathlib`: `stem + append + suffix`. The suffix follows CPython's `PurePath.suffix`
 * (checked against CPython 3.11): the text from the last `.`, but only when that dot is neither
 * the first nor the last character of the name. So `a.tar.gz` -> `a.tar<append>.gz`, `noext` ->
 * `noext<append>`, `.bashrc` -> `.bashrc<append>` (a leading dot starts a hidden name, not a
 * suffix), `a.` -> `a.<append>`, `..a` -> `.<append>.a`, `.a.b` -> `.a<append>.b`.
 * No validation here: `safeRelativePath` validates the parts and the result.
 */
export function applyFilenameAppend(filename: string, append: string): string {
  if (append === '') return filename;
  const dot = filename.lastIndexOf('.');
  if (dot > 0 && dot < filename.length - 1) return filename.slice(0, dot) + append + filename.slice(dot);
  return filename + append;
}

/**
 * The absolute path of `relativePath` under `rootDir`. Throws ERR_UNSAFE_PATH if the result is
 * the root itself or anywhere outside it; meant as a last lexical check on a path that already
 * went through `safeRelativePath`.
 */
export function resolveInside(rootDir: string, relativePath: string): string {
  checkText('relativePath', relativePath);
  if (path.isAbsolute(relativePath)) fail('relativePath', relativePath, 'absolute', 'is absolute');
  const root = path.resolve(rootDir);
  const absolute = path.resolve(root, relativePath);
  const inside = path.relative(root, absolute);
  if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    fail('relativePath', relativePath, 'escapes-root', `resolves outside ${root}`);
  }
  return absolute;
}

/**
 * Refuses (ERR_UNSAFE_PATH) when any component of `relativePath` that already exists below
 * `rootDir` is a symbolic link, the last one included, so that neither a directory nor the file
 * itself can be redirected elsewhere. `rootDir` itself may be a symlink: the user chose it.
 * Components that do not exist yet end the walk; other lstat failures are rethrown as they are.
 */
export async function assertNoSymlinkEscape(rootDir: string, relativePath: string): Promise<void> {
  const absolute = resolveInside(rootDir, relativePath);
  const root = path.resolve(rootDir);
  let current = root;
  for (const part of path.relative(root, absolute).split(path.sep)) {
    current = path.join(current, part);
    let stats;
    try {
      stats = await lstat(current);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    if (stats.isSymbolicLink()) {
      fail('relativePath', relativePath, 'symlink', `passes through the symlink ${current}`);
    }
  }
}

function checkText(field: UnsafePathField, value: string): void {
  if (typeof value !== 'string') fail(field, String(value), 'not-string', 'is not a string');
  if (CONTROL_OR_LONE_SURROGATE.test(value)) {
    fail(field, value, 'control-char', 'contains a control character or an unpaired surrogate');
  }
  if (value.includes('\\')) fail(field, value, 'backslash', 'contains a backslash');
}

function checkComponent(field: UnsafePathField, value: string, part: string): void {
  if (part === '') fail(field, value, 'empty-component', 'has an empty path component (leading, trailing or doubled "/")');
  if (part === '.' || part === '..') fail(field, value, 'dot-component', `has a "${part}" component`);
  if (part.includes('/')) fail(field, value, 'separator', 'contains "/"');
  if (DRIVE_LETTER.test(part)) fail(field, value, 'drive-letter', 'starts with a Windows drive letter');
  const bytes = Buffer.byteLength(part, 'utf8');
  if (bytes > MAX_COMPONENT_BYTES) {
    fail(field, value, 'too-long', `has a component of ${bytes} bytes, limit ${MAX_COMPONENT_BYTES}`);
  }
}

function fail(field: UnsafePathField, value: string, reason: string, detail: string): never {
  throw new UnsafePathError('ERR_UNSAFE_PATH', `unsafe ${field} ${JSON.stringify(value)}: ${detail}`, {
    field,
    value,
    reason,
  });
}
