/**
 * config-file: OpenMSIStream's shipped configs parse; the configparser dialect matches Python's
 * (expected values below were produced by Python 3's configparser on the same fixture); `$VAR`
 * expansion and its unset-variable error; `--config NAME` lookup order.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bundledConfigDir,
  loadConfig,
  parseConfigText,
  readConfigFile,
  resolveConfigPath,
} from '../../lib/config/config-file.js';
import { errorCodeOf } from '../../lib/errors.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const fixtures = join(root, 'fixtures', 'config');
const shippedDirs = [join(fixtures, 'openmsistream-1.8.8'), join(root, 'fixtures', 'openmsistream-configs')].filter(existsSync);

function shippedConfigs(): string[] {
  return shippedDirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.config')).map((f) => join(dir, f)));
}

/** An environment defining every `$NAME` a config file refers to, as `value-of-NAME`. */
function envFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/\$\{?(\w+)\}?/g)) env[m[1] as string] = `value-of-${m[1]}`;
  return env;
}

function throwsCode(fn: () => unknown, code: string, check?: (err: Record<string, unknown>) => void): void {
  assert.throws(fn, (err: unknown) => {
    assert.equal(errorCodeOf(err), code, `expected ${code}, got ${String(err)}`);
    check?.(err as Record<string, unknown>);
    return true;
  });
}

test('every config file OpenMSIStream ships parses, with $VARs expanded', () => {
  const files = shippedConfigs();
  assert.ok(files.length >= 23, `expected the 23 shipped configs, found ${files.length}`);
  for (const file of files) {
    const env = envFor(readFileSync(file, 'utf8'));
    const { path, sections } = readConfigFile(file, env);
    assert.equal(path, file);
    assert.ok(sections.broker, `${file} has [broker]`);
    for (const [name, section] of Object.entries(sections)) {
      for (const [key, value] of Object.entries(section)) {
        assert.ok(!value.startsWith('$'), `${file} ${name}.${key} left unexpanded: ${value}`);
      }
    }
  }
});

test('test.config reads as OpenMSIStream reads it', () => {
  const env = {
    KAFKA_TEST_CLUSTER_BOOTSTRAP_SERVERS: 'pkc-1.example.cloud:9092',
    KAFKA_TEST_CLUSTER_USERNAME: 'KEY',
    KAFKA_TEST_CLUSTER_PASSWORD: 'sec$ret%',
  };
  const { sections } = readConfigFile(join(fixtures, 'openmsistream-1.8.8', 'test.config'), env);
  assert.deepEqual(Object.keys(sections), ['broker', 'producer', 'consumer']);
  assert.deepEqual(sections.broker, {
    'bootstrap.servers': 'pkc-1.example.cloud:9092',
    'sasl.mechanism': 'PLAIN',
    'security.protocol': 'SASL_SSL',
    'sasl.username': 'KEY',
    'sasl.password': 'sec$ret%', // expanded text is taken literally: no re-expansion, no interpolation
  });
  assert.equal(sections.producer?.['value.serializer'], 'DataFileChunkSerializer');
  assert.equal(sections.consumer?.['enable.auto.commit'], 'False');
});

test('an unset variable is ERR_CONFIG_ENV_UNSET naming the variable, section and key', () => {
  const file = join(fixtures, 'openmsistream-1.8.8', 'test.config');
  throwsCode(() => readConfigFile(file, { KAFKA_TEST_CLUSTER_BOOTSTRAP_SERVERS: 'b:9092', KAFKA_TEST_CLUSTER_USERNAME: 'u' }), 'ERR_CONFIG_ENV_UNSET', (err) => {
    assert.equal(err.variable, 'KAFKA_TEST_CLUSTER_PASSWORD');
    assert.equal(err.section, 'broker');
    assert.equal(err.key, 'sasl.password');
    assert.equal(err.path, file);
    assert.match(String(err.message), /KAFKA_TEST_CLUSTER_PASSWORD.*broker\.sasl\.password/);
  });
});

test('$NAME and ${NAME} expand anywhere in a value that starts with $; other values are literal', () => {
  const env = { HOST: 'h', PORT: '9093', EMPTY: '' };
  const sections = parseConfigText('[broker]\na = $HOST:${PORT}\nb = x$HOST\nc = $EMPTY\n', env);
  assert.deepEqual(sections.broker, { a: 'h:9093', b: 'x$HOST', c: '' });
  throwsCode(() => parseConfigText('[broker]\na = $HOST:${NOPE}\n', env), 'ERR_CONFIG_ENV_UNSET', (err) => {
    assert.equal(err.variable, 'NOPE');
  });
});

test('expand: sections left out keep $ values, so an S3 config serves uploads without S3 vars', () => {
  const file = join(fixtures, 'openmsistream-1.8.8', 'local_broker_test_s3_transfer.config');
  const env = { LOCAL_KAFKA_BROKER_BOOTSTRAP_SERVERS: '127.0.0.1:9092' };
  throwsCode(() => readConfigFile(file, env), 'ERR_CONFIG_ENV_UNSET');
  const { sections } = readConfigFile(file, env, { expand: ['broker', 'producer'] });
  assert.equal(sections.broker?.['bootstrap.servers'], '127.0.0.1:9092');
  assert.equal(sections.s3?.['access_key_id'], '$ACCESS_KEY_ID');
});

test('configparser dialect: case, delimiters, comments, continuations, DEFAULT, interpolation', () => {
  const { sections } = readConfigFile(join(fixtures, 'configparser-dialect.config'), {});
  // Output of Python 3 `configparser.ConfigParser().read(...)`, section by section.
  assert.deepEqual(sections, {
    broker: {
      'bootstrap.servers': 'broker-1:9092,broker-2:9093',
      'client.id': 'dfs-shared-node',
      'sasl.password': 'a#b ; not a comment: configparser has no inline comments by default',
      percent: '100%',
      node_id: 'shared-node',
      'log.dir': '/var/log/dfs',
    },
    Notes: {
      description: 'first line\nsecond line\n\nthird line after a blank\nfourth line',
      empty: '',
      path: '/var/log/dfs/notes',
      node_id: 'shared-node',
      'log.dir': '/var/log/dfs',
    },
  });
});

test('names like __proto__ and constructor are ordinary sections, keys and variables', () => {
  const sections = parseConfigText('[__proto__]\nconstructor = $HOME_DIR\n__proto__ = x\n', { HOME_DIR: '/h' });
  assert.equal(Object.getPrototypeOf(sections), Object.prototype);
  assert.deepEqual(Object.keys(sections), ['__proto__']);
  assert.deepEqual(Object.entries(Object.getOwnPropertyDescriptor(sections, '__proto__')?.value ?? {}), [
    ['constructor', '/h'],
    ['__proto__', 'x'],
  ]);
  throwsCode(() => parseConfigText('[broker]\nx = $constructor\n', {}), 'ERR_CONFIG_ENV_UNSET');
  throwsCode(() => parseConfigText('[broker]\nx = $constructor\n', process.env), 'ERR_CONFIG_ENV_UNSET');
});

test('CRLF line endings and a UTF-8 BOM read the same as LF', () => {
  const sections = parseConfigText('\uFEFF[broker]\r\nbootstrap.servers = a:1\r\n', {});
  assert.deepEqual(sections, { broker: { 'bootstrap.servers': 'a:1' } });
});

test('what configparser rejects is ERR_CONFIG_PARSE, with the line number', () => {
  const cases: Array<[string, RegExp]> = [
    ['[a]\nx = 1\nX = 2\n', /:3: duplicate key "x" in \[a\]/],
    ['[a]\nx = 1\n[a]\ny = 2\n', /:3: duplicate section \[a\]/],
    ['x = 1\n[a]\n', /:1: text before the first \[section\]/],
    ['[a]\njustakey\n', /:2: expected "key = value"/],
    ['[a]\n= v\n', /:2: expected "key = value"/],
    ['[a]\nx = 50%\n', /a\.x: "%" must be followed/],
    ['[a]\nx = %(nope)s\n', /a\.x refers to %\(nope\)s/],
    ['[a]\nx = %(y)s\ny = %(x)s\n', /nested too deeply/],
  ];
  for (const [text, message] of cases) {
    throwsCode(() => parseConfigText(text, {}, { source: 'inline.config' }), 'ERR_CONFIG_PARSE', (err) => {
      assert.match(String(err.message), message, JSON.stringify(text));
    });
  }
  // Python accepts a repeated [DEFAULT]; so do we.
  assert.deepEqual(parseConfigText('[DEFAULT]\nx=1\n[DEFAULT]\ny=2\n[a]\n', {}), { a: { x: '1', y: '2' } });
});

test('the bundled config directory holds local.config, pointing at 127.0.0.1:9092', () => {
  const dir = bundledConfigDir();
  assert.equal(dir, join(root, 'config'));
  const { sections } = loadConfig('local', {});
  assert.equal(sections.broker?.['bootstrap.servers'], '127.0.0.1:9092');
  assert.equal(sections.producer?.['compression.type'], 'lz4');
  assert.equal(sections.consumer?.['group.id'], 'create_new');
});

test('lookup: an existing path is used as-is', () => {
  const file = join(fixtures, 'sasl-scram.config');
  assert.equal(resolveConfigPath(file, {}), file);
  const cwd = process.cwd();
  process.chdir(fixtures); // relative paths are relative to the working directory
  try {
    assert.equal(resolveConfigPath('ssl-ca.config', {}), file.replace('sasl-scram', 'ssl-ca'));
    assert.equal(resolveConfigPath('./lookup/site.config', {}), join(fixtures, 'lookup', 'site.config'));
  } finally {
    process.chdir(cwd);
  }
});

test('lookup: a bare NAME is looked for in $OPENMSISTREAM_CONFIG_FILE_DIR first, then bundled', () => {
  const envDir = join(fixtures, 'lookup');
  const env = { OPENMSISTREAM_CONFIG_FILE_DIR: envDir };
  // both places have local.config: the env dir wins, with or without the suffix
  assert.equal(resolveConfigPath('local', env), join(envDir, 'local.config'));
  assert.equal(resolveConfigPath('local.config', env), join(envDir, 'local.config'));
  // only in the env dir
  assert.equal(resolveConfigPath('site', env), join(envDir, 'site.config'));
  // only bundled
  assert.equal(resolveConfigPath('local', {}), join(root, 'config', 'local.config'));
  const emptyDir = mkdtempSync(join(tmpdir(), 'dfs-config-'));
  try {
    assert.equal(resolveConfigPath('local', { OPENMSISTREAM_CONFIG_FILE_DIR: emptyDir }), join(root, 'config', 'local.config'));
    // a name without the suffix is also found as written
    writeFileSync(join(emptyDir, 'plain.ini'), '[broker]\nbootstrap.servers = x:1\n');
    assert.equal(resolveConfigPath('plain.ini', { OPENMSISTREAM_CONFIG_FILE_DIR: emptyDir }), join(emptyDir, 'plain.ini'));
  } finally {
    rmSync(emptyDir, { recursive: true, force: true });
  }
});

test('lookup: not found is ERR_CONFIG_NOT_FOUND listing every place searched', () => {
  const envDir = join(fixtures, 'lookup');
  throwsCode(() => resolveConfigPath('no_such_config', { OPENMSISTREAM_CONFIG_FILE_DIR: envDir }), 'ERR_CONFIG_NOT_FOUND', (err) => {
    const searched = err.searched as string[];
    assert.ok(searched.includes(join(envDir, 'no_such_config.config')));
    assert.ok(searched.includes(join(root, 'config', 'no_such_config.config')));
    assert.ok(searched.indexOf(join(envDir, 'no_such_config.config')) < searched.indexOf(join(root, 'config', 'no_such_config.config')));
    assert.match(String(err.message), /no_such_config/);
  });
  throwsCode(() => resolveConfigPath('no_such_config', {}), 'ERR_CONFIG_NOT_FOUND', (err) => {
    assert.match(String(err.message), /OPENMSISTREAM_CONFIG_FILE_DIR is not set/);
  });
  // something that looks like a path is not searched for in the config directories
  throwsCode(() => resolveConfigPath('sub/local', {}), 'ERR_CONFIG_NOT_FOUND', (err) => {
    assert.deepEqual(err.searched, [resolve('sub/local')]);
  });
  throwsCode(() => resolveConfigPath('', {}), 'ERR_CONFIG_NOT_FOUND');
  throwsCode(() => readConfigFile(join(fixtures, 'missing.config'), {}), 'ERR_CONFIG_NOT_FOUND');
});
