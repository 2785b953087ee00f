import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { UnsafePathError } from '../../lib/errors.js';
import {
  applyFilenameAppend,
  assertNoSymlinkEscape,
  MAX_COMPONENT_BYTES,
  resolveInside,
  safeRelativePath,
} from '../../lib/paths/safe-path.js';
import { tempDir } from '../support/temp-dir.js';

/** Asserts an UnsafePathError with ERR_UNSAFE_PATH naming `field` and `reason`. */
function rejects(fn: () => unknown, field: string, reason: string, value?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UnsafePathError, `expected UnsafePathError, got ${String(err)}`);
    const e = err as UnsafePathError & Record<string, unknown>;
    assert.equal(e.code, 'ERR_UNSAFE_PATH');
    assert.equal(e.field, field);
    assert.equal(e.reason, reason);
    if (value !== undefined) assert.equal(e.value, value);
    // context must survive JSON logging
    const json = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
    assert.equal(json.field, field);
    assert.equal(json.code, 'ERR_UNSAFE_PATH');
    return true;
  });
}

test('safeRelativePath: top-level file (empty subdir)', () => {
  assert.deepEqual(safeRelativePath('', 'x.dat'), { subdirParts: [], filename: 'x.dat', relativePath: 'x.dat' });
});

test('safeRelativePath: nested subdir, posix separators', () => {
  assert.deepEqual(safeRelativePath('a/b c/d', 'x.dat'), {
    subdirParts: ['a', 'b c', 'd'],
    filename: 'x.dat',
    relativePath: 'a/b c/d/x.dat',
  });
});

test('safeRelativePath: applies filename_append to the output name only', () => {
  assert.deepEqual(safeRelativePath('sub', 'a.tar.gz', '_v2'), {
    subdirParts: ['sub'],
    filename: 'a.tar_v2.gz',
    relativePath: 'sub/a.tar_v2.gz',
  });
});

test('safeRelativePath: accepts names that are odd but harmless on posix', () => {
  for (const [subdir, name] of [
    ['...', 'x'],
    ['.hidden', '.bashrc'],
    ['données/測定', 'é.dat'],
    ['2024-01-01T12:00:00', 'run:1.dat'],
    ['a', '..x'],
    ['a', 'x..'],
    ['ab:c', 'file'],
  ] as const) {
    assert.equal(safeRelativePath(subdir, name).relativePath, `${subdir}/${name}`);
  }
});

test('safeRelativePath: rejects . and .. components', () => {
  rejects(() => safeRelativePath('..', 'x'), 'subdirStr', 'dot-component', '..');
  rejects(() => safeRelativePath('a/../../etc', 'x'), 'subdirStr', 'dot-component');
  rejects(() => safeRelativePath('a/..', 'x'), 'subdirStr', 'dot-component');
  rejects(() => safeRelativePath('.', 'x'), 'subdirStr', 'dot-component');
  rejects(() => safeRelativePath('./a', 'x'), 'subdirStr', 'dot-component');
  rejects(() => safeRelativePath('a/./b', 'x'), 'subdirStr', 'dot-component');
});

test('safeRelativePath: rejects empty components', () => {
  rejects(() => safeRelativePath('a//b', 'x'), 'subdirStr', 'empty-component', 'a//b');
  rejects(() => safeRelativePath('a/', 'x'), 'subdirStr', 'empty-component');
});

test('safeRelativePath: rejects absolute subdirs', () => {
  rejects(() => safeRelativePath('/etc', 'passwd'), 'subdirStr', 'absolute', '/etc');
  rejects(() => safeRelativePath('/', 'x'), 'subdirStr', 'absolute');
  rejects(() => safeRelativePath('//server/share', 'x'), 'subdirStr', 'absolute');
});

test('safeRelativePath: rejects Windows drive letters in any component and in the output name', () => {
  rejects(() => safeRelativePath('C:', 'x'), 'subdirStr', 'drive-letter');
  rejects(() => safeRelativePath('c:/Windows', 'x'), 'subdirStr', 'drive-letter');
  rejects(() => safeRelativePath('a/D:x', 'y'), 'subdirStr', 'drive-letter');
  rejects(() => safeRelativePath('', 'C:x.dat'), 'filename', 'drive-letter');
  // the append can build a drive letter out of a harmless name
  rejects(() => safeRelativePath('', 'C', ':x'), 'filenameAppend', 'drive-letter');
});

test('safeRelativePath: rejects backslashes in every field', () => {
  rejects(() => safeRelativePath('a\\..\\..', 'x'), 'subdirStr', 'backslash');
  rejects(() => safeRelativePath('', '..\\x'), 'filename', 'backslash');
  rejects(() => safeRelativePath('', 'x', '\\'), 'filenameAppend', 'backslash');
});

test('safeRelativePath: rejects NUL, other control characters and DEL in every field', () => {
  for (const bad of ['\0', '\n', '\r', '\t', '\x1b', '\x1f', '\x7f']) {
    rejects(() => safeRelativePath(`a${bad}b`, 'x'), 'subdirStr', 'control-char');
    rejects(() => safeRelativePath('', `x${bad}.dat`), 'filename', 'control-char');
    rejects(() => safeRelativePath('', 'x.dat', `_v${bad}`), 'filenameAppend', 'control-char');
  }
  // U+0080..: legal, not control characters in the sense checked here
  assert.equal(safeRelativePath('', 'x\u00a0y').filename, 'x\u00a0y');
});

test('safeRelativePath: rejects unpaired surrogates (not encodable as UTF-8)', () => {
  rejects(() => safeRelativePath('', 'x\ud800.dat'), 'filename', 'control-char');
  rejects(() => safeRelativePath('a\udfff', 'x'), 'subdirStr', 'control-char');
  assert.equal(safeRelativePath('', '\u{1f600}.dat').filename, '\u{1f600}.dat');
});

test('safeRelativePath: rejects bad filenames', () => {
  rejects(() => safeRelativePath('a', ''), 'filename', 'empty-component');
  rejects(() => safeRelativePath('a', '.'), 'filename', 'dot-component');
  rejects(() => safeRelativePath('a', '..'), 'filename', 'dot-component');
  rejects(() => safeRelativePath('a', 'b/x'), 'filename', 'separator');
  rejects(() => safeRelativePath('a', '/etc/passwd'), 'filename', 'separator');
});

test('safeRelativePath: rejects a filename_append with a separator', () => {
  rejects(() => safeRelativePath('', 'x.dat', '/../../y'), 'filenameAppend', 'separator');
  rejects(() => safeRelativePath('', 'x.dat', '/'), 'filenameAppend', 'separator');
});

test('safeRelativePath: component length limit is 255 UTF-8 bytes, not characters', () => {
  assert.equal(MAX_COMPONENT_BYTES, 255);
  const ok = 'a'.repeat(255);
  assert.equal(safeRelativePath(ok, ok).relativePath, `${ok}/${ok}`);
  rejects(() => safeRelativePath('a'.repeat(256), 'x'), 'subdirStr', 'too-long');
  rejects(() => safeRelativePath('', 'a'.repeat(256)), 'filename', 'too-long');
  // 85 x 3-byte euro signs = 255 bytes is fine, 128 x 2-byte é = 256 bytes is not
  assert.ok(safeRelativePath('', '€'.repeat(85)));
  rejects(() => safeRelativePath('', 'é'.repeat(128)), 'filename', 'too-long');
  // the append can push a legal name over the limit
  rejects(() => safeRelativePath('', `${'a'.repeat(250)}.dat`, '_v2'), 'filenameAppend', 'too-long');
});

test('safeRelativePath: total path limit is 4096 UTF-8 bytes', () => {
  const dir = 'd'.repeat(200);
  // 20 x (200 + 1) = 4020 bytes of subdir, plus a 76-byte name = 4096 exactly
  const subdir = Array.from({ length: 20 }, () => dir).join('/');
  const fits = 'f'.repeat(4096 - 20 * 201);
  assert.equal(Buffer.byteLength(safeRelativePath(subdir, fits).relativePath), 4096);
  rejects(() => safeRelativePath(subdir, `${fits}g`), 'relativePath', 'too-long');
  rejects(() => safeRelativePath(subdir, fits, 'g'), 'relativePath', 'too-long');
});

test('applyFilenameAppend: matches CPython pathlib stem + append + suffix', () => {
  // expected values produced by CPython 3.11: PurePosixPath(n).stem + '_v2' + PurePosixPath(n).suffix
  const cases: Array<[string, string]> = [
    ['a.tar.gz', 'a.tar_v2.gz'],
    ['noext', 'noext_v2'],
    ['.bashrc', '.bashrc_v2'],
    ['a.', 'a._v2'],
    ['...', '..._v2'],
    ['.a.b', '.a_v2.b'],
    ['a..b', 'a._v2.b'],
    ['..a', '._v2.a'],
    ['x.dat', 'x_v2.dat'],
    ['.hidden.txt', '.hidden_v2.txt'],
    ['a.b.', 'a.b._v2'],
    ['é.données', 'é_v2.données'],
    ['archive.tar.gz.bak', 'archive.tar.gz_v2.bak'],
    ['a b.c', 'a b_v2.c'],
  ];
  for (const [name, expected] of cases) assert.equal(applyFilenameAppend(name, '_v2'), expected, name);
  assert.equal(applyFilenameAppend('a.tar.gz', ''), 'a.tar.gz');
});

test('resolveInside: returns the absolute path below the root', () => {
  const root = path.resolve('/srv/out');
  assert.equal(resolveInside('/srv/out', 'a/b/x.dat'), path.join(root, 'a', 'b', 'x.dat'));
  assert.equal(resolveInside('/srv/out/', 'x.dat'), path.join(root, 'x.dat'));
  assert.equal(resolveInside('/srv/out', '..x'), path.join(root, '..x'));
});

test('resolveInside: refuses paths that leave the root or are the root', () => {
  for (const bad of ['..', '../x', 'a/../../x', '../out-evil/x', '', '.', 'a/..']) {
    rejects(() => resolveInside('/srv/out', bad), 'relativePath', 'escapes-root', bad);
  }
  rejects(() => resolveInside('/srv/out', '/etc/passwd'), 'relativePath', 'absolute');
  rejects(() => resolveInside('/srv/out', 'x\0y'), 'relativePath', 'control-char');
});

test('assertNoSymlinkEscape: plain and not-yet-existing paths pass', async (t) => {
  const dir = await tempDir(t);
  const root = path.join(dir, 'out');
  await mkdir(path.join(root, 'real'), { recursive: true });
  await writeFile(path.join(root, 'real', 'x.dat'), 'x');
  await writeFile(path.join(root, 'plain-file'), 'x');
  await assertNoSymlinkEscape(root, 'real/x.dat');
  await assertNoSymlinkEscape(root, 'real/new/deep/y.dat');
  await assertNoSymlinkEscape(root, 'missing/y.dat');
  // a regular file where a directory is expected is not an escape (mkdir will fail later)
  await assertNoSymlinkEscape(root, 'plain-file/y.dat');
});

test('assertNoSymlinkEscape: refuses a symlinked directory below the root', async (t) => {
  const dir = await tempDir(t);
  const root = path.join(dir, 'out');
  const elsewhere = path.join(dir, 'elsewhere');
  await mkdir(path.join(root, 'real'), { recursive: true });
  await mkdir(elsewhere);
  await symlink(elsewhere, path.join(root, 'real', 'link'), 'dir');
  await assert.rejects(assertNoSymlinkEscape(root, 'real/link/x.dat'), (err: unknown) => {
    assert.ok(err instanceof UnsafePathError);
    assert.equal(err.code, 'ERR_UNSAFE_PATH');
    assert.equal((err as unknown as Record<string, unknown>).reason, 'symlink');
    return true;
  });
  await assert.rejects(assertNoSymlinkEscape(root, 'real/link/new/x.dat'), { code: 'ERR_UNSAFE_PATH' });
  await assert.rejects(assertNoSymlinkEscape(root, 'real/link'), { code: 'ERR_UNSAFE_PATH' });
});

test('assertNoSymlinkEscape: refuses a symlink (even dangling) at the file itself', async (t) => {
  const dir = await tempDir(t);
  const root = path.join(dir, 'out');
  await mkdir(root);
  await writeFile(path.join(dir, 'target'), 'secret');
  await symlink(path.join(dir, 'target'), path.join(root, 'x.dat'));
  await symlink(path.join(dir, 'nowhere'), path.join(root, 'dangling.dat'));
  await assert.rejects(assertNoSymlinkEscape(root, 'x.dat'), { code: 'ERR_UNSAFE_PATH', reason: 'symlink' });
  await assert.rejects(assertNoSymlinkEscape(root, 'dangling.dat'), { code: 'ERR_UNSAFE_PATH', reason: 'symlink' });
});

test('assertNoSymlinkEscape: the root itself may be a symlink', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'real-root', 'a'), { recursive: true });
  await symlink(path.join(dir, 'real-root'), path.join(dir, 'root-link'), 'dir');
  await assertNoSymlinkEscape(path.join(dir, 'root-link'), 'a/x.dat');
});

test('assertNoSymlinkEscape: lexical escapes are refused before touching the disk', async () => {
  await assert.rejects(assertNoSymlinkEscape('/nonexistent-root', '../x'), { code: 'ERR_UNSAFE_PATH', reason: 'escapes-root' });
});
