import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fileHashHex,
  formatIntSet,
  isOpenMsiStreamTimestamp,
  parseIntSet,
  parseTimestamp,
  unwrapPythonRepr,
} from '../../lib/registry/registry-values.js';

test('timestamps: ISO with offset, and OpenMSIStream\'s repr format as local time', () => {
  assert.equal(parseTimestamp('2026-11-27T12:34:56.789+02:00')?.toISOString(), '2026-11-27T10:34:56.789Z');
  assert.equal(parseTimestamp('2026-11-27T12:34:56Z')?.toISOString(), '2026-11-27T12:34:56.000Z');
  assert.equal(parseTimestamp('2026-11-27T12:34:56'), undefined, 'no offset: ambiguous, refused');
  assert.equal(parseTimestamp("'Fri Nov 27, 2026 at 12:34:56'")?.getTime(), new Date(2026, 10, 27, 12, 34, 56).getTime());
  assert.equal(parseTimestamp("'Fri Foo 27, 2026 at 12:34:56'"), undefined);
  assert.equal(isOpenMsiStreamTimestamp("'Fri Nov 27, 2026 at 12:34:56'"), true);
  assert.equal(isOpenMsiStreamTimestamp('2026-11-27T12:34:56.789+00:00'), false);
});

test('unwrapPythonRepr undoes repr() of a str', () => {
  assert.equal(unwrapPythonRepr("'sub/a.dat'"), 'sub/a.dat');
  assert.equal(unwrapPythonRepr('"it\'s.dat"'), "it's.dat");
  assert.equal(unwrapPythonRepr("'a\\\\b\\'c\\x41\\u00e9'"), "a\\b'cAé");
  assert.equal(unwrapPythonRepr('plain'), 'plain');
  assert.equal(unwrapPythonRepr("'"), "'");
});

test('integer sets as Python prints them', () => {
  assert.equal(formatIntSet([3, 1, 2]), '{1, 2, 3}');
  assert.equal(formatIntSet([]), 'set()');
  assert.deepEqual([...(parseIntSet('{1, 2, 3}') ?? [])], [1, 2, 3]);
  assert.deepEqual([...(parseIntSet('set()') ?? [0])], []);
  assert.deepEqual([...(parseIntSet('[4,5]') ?? [])], [4, 5]);
  assert.equal(parseIntSet('{1, x}'), undefined);
  assert.equal(parseIntSet('1, 2'), undefined);
});

test('fileHashHex accepts 64 raw bytes or 128 hex digits only', () => {
  const raw = Buffer.alloc(64, 0xab);
  assert.equal(fileHashHex(raw), 'ab'.repeat(64));
  assert.equal(fileHashHex('AB'.repeat(64)), 'ab'.repeat(64));
  assert.throws(() => fileHashHex(Buffer.alloc(32)), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => fileHashHex('ab'), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => fileHashHex(undefined), { code: 'ERR_INVALID_ARGUMENT' });
});
