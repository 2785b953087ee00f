/**
 * pythonJsonDumps: a plain JS value as the exact text Python's `json.dumps(value)` writes with its
 * defaults, which is what OpenMSIStream's MetadataJSONReproducer produces: separators `, ` and
 * `: `, `ensure_ascii` (every character outside space..`~` escaped as `\uXXXX`, lower-case hex,
 * astral characters as surrogate pairs), and numbers as Python prints an `int` or a `float`.
 *
 * In: null, booleans, strings, numbers, bigints, arrays and plain objects (a `toJSON()` is
 * called first, as JSON.stringify does; an `undefined` or function member is left out of an
 * object and written `null` in an array, as JSON.stringify does). Out: one string.
 *
 * Numbers: JS has one number type, so a safe integer is written as a Python int (`1`, never
 * `1.0`) and any other number as Python's float repr (`1e-05`, `1.5e+16`). Errors: NaN and +-Infinity
 * (Python writes `NaN`/`Infinity`, which is not JSON and which JSON.parse refuses), a cycle, and
 * values JSON cannot hold (a symbol) throw ERR_INVALID_ARGUMENT.
 */
import { DataFileStreamError } from '../errors.js';

const SIMPLE_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

export function pythonJsonDumps(value: unknown): string {
  const text = write(value, new Set());
  if (text === undefined) throw invalid(`cannot write ${typeof value} as JSON`);
  return text;
}

function write(value: unknown, seen: Set<object>): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
      return pythonString(value);
    case 'number':
      return pythonNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
      return undefined;
    case 'symbol':
      throw invalid('a symbol cannot be written as JSON');
    default:
      break;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (seen.has(object)) throw invalid('the value contains a cycle');
  seen.add(object);
  try {
    if (Array.isArray(object)) return `[${object.map((item) => write(item, seen) ?? 'null').join(', ')}]`;
    const members: string[] = [];
    for (const [key, member] of Object.entries(object)) {
      const text = write(member, seen);
      if (text !== undefined) members.push(`${pythonString(key)}: ${text}`);
    }
    return `{${members.join(', ')}}`;
  } finally {
    seen.delete(object);
  }
}

function pythonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    if (SIMPLE_ESCAPES[ch] !== undefined) out += SIMPLE_ESCAPES[ch];
    // Python's ensure_ascii escapes everything outside printable ASCII, UTF-16 unit by unit.
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function pythonNumber(n: number): string {
  if (!Number.isFinite(n)) throw invalid(`${n} cannot be written as JSON (Python would write ${Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity'}, which JSON parsers refuse)`);
  // Beyond 2^53 an integral number is almost surely a float's result, and Python prints those as floats.
  if (Number.isSafeInteger(n)) return Object.is(n, -0) ? '0' : String(n);
  // The shortest digits that round-trip (JS and Python agree on them), laid out as Python's
  // float repr does: positional for exponents -4..15, else d.ddde+XX with two exponent digits.
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const e = Number(exp);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, '0');
  const fraction = digits.slice(e + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

function invalid(message: string): DataFileStreamError {
  return new DataFileStreamError('ERR_INVALID_ARGUMENT', message);
}
