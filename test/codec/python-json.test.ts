/**
 * pythonJsonDumps writes what Python's json.dumps writes: each text is checked against the real
 * Python (the project's .venv): loading our text and dumping it again gives the same bytes, and
 * the value it holds is the one we wrote.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pythonJsonDumps } from '../../lib/codec/python-json.js';

const PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));

const VALUES: unknown[] = [
  { name: 'scan 1.csv', size: 5120, ok: true, missing: null, tags: ['a', 'b'], nested: { empty: {}, list: [] } },
  { text: 'quote " backslash \\ newline \n tab \t cr \r bell \u0007 del \u007f form \f back \b' },
  { unicode: 'Probe µ-XRD/Ångström 測定 😀', 'ключ': 'значение' },
  { floats: [0.1, -2.5, 1.5e-5, 0.0001, 0.00001, 123456789.123, 1.5e16, 2 ** 60, 9007199254740993, 2.5e-300, 1e300, -1e-7, 1e21, 5e-324] },
  { ints: [0, -0, 1, -1, 42, 9007199254740991, -9007199254740991] },
  [1, 'two', [3, [4, {}]], false],
  'just a string',
  12.75,
];

test('our JSON text is a fixed point of Python json.loads/json.dumps, and holds the value written', () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing: run scripts/python-env.sh all`);
  const ours = VALUES.map((v) => pythonJsonDumps(v));
  const script = 'import json,sys\nfor line in sys.stdin.read().split("\\n"):\n    print(json.dumps(json.loads(line)))';
  const python = execFileSync(PYTHON, ['-c', script], { input: ours.join('\n'), encoding: 'utf8' }).trimEnd().split('\n');
  assert.deepEqual(python, ours);
  for (const [i, value] of VALUES.entries()) assert.deepEqual(JSON.parse(ours[i]!), JSON.parse(JSON.stringify(value)));
});

test('separators, escapes and numbers as Python writes them', () => {
  assert.equal(pythonJsonDumps({ a: 1, b: [1, 2], c: { d: 'é' } }), '{"a": 1, "b": [1, 2], "c": {"d": "\\u00e9"}}');
  assert.equal(pythonJsonDumps([1.5e-5, 1e16 + 2, 0.5, 100.25]), '[1.5e-05, 1.0000000000000002e+16, 0.5, 100.25]');
  assert.equal(pythonJsonDumps('😀'), '"\\ud83d\\ude00"');
  assert.equal(pythonJsonDumps({ skip: undefined, f: () => 1, keep: [undefined] }), '{"keep": [null]}');
  assert.equal(pythonJsonDumps({ when: new Date(0) }), '{"when": "1970-01-01T00:00:00.000Z"}');
});

test('values JSON cannot hold are refused with a coded error', () => {
  for (const bad of [NaN, Infinity, -Infinity, { n: NaN }]) {
    assert.throws(() => pythonJsonDumps(bad), { code: 'ERR_INVALID_ARGUMENT' });
  }
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.throws(() => pythonJsonDumps(cycle), { code: 'ERR_INVALID_ARGUMENT', message: /cycle/ });
  assert.throws(() => pythonJsonDumps(Symbol('x')), { code: 'ERR_INVALID_ARGUMENT' });
  // a shared (not cyclic) object is fine
  const shared = { x: 1 };
  assert.equal(pythonJsonDumps([shared, shared]), '[{"x": 1}, {"x": 1}]');
});
