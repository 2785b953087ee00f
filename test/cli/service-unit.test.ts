/**
 * The systemd unit as text, without systemd: what ExecStart runs (absolute node, script and
 * paths), the lines that make SIGTERM a graceful, clean stop, systemd's quoting of odd arguments,
 * the derived name, and which arguments are made absolute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  absoluteArguments, buildServiceUnit, checkServiceName, deriveServiceName, quoteExecArgument, TIMEOUT_STOP_SECONDS, UNIT_MARKER,
} from '../../lib/cli/service-unit.js';

const SPEC = {
  name: 'dfs-up',
  command: 'upload-directory',
  args: ['/data/instrument', '--topic_name', 'raw'],
  node: '/usr/local/bin/node',
  script: '/opt/dfs/dist/bin/datafile-stream.js',
  workingDirectory: '/srv/lab',
};

/** The unit's `Key=value` lines of one section. */
function section(unit: string, name: string): Map<string, string[]> {
  const lines = unit.split('\n');
  const start = lines.indexOf(`[${name}]`);
  assert.ok(start >= 0, `no [${name}] section`);
  const out = new Map<string, string[]>();
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('[')) break;
    const eq = line.indexOf('=');
    if (eq > 0 && !line.startsWith('#')) out.set(line.slice(0, eq), [...(out.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

test('the unit runs the given node and script by absolute path, restarts always and stops by SIGTERM within a timeout above 30 s', () => {
  const unit = buildServiceUnit(SPEC);
  assert.ok(unit.startsWith(UNIT_MARKER), 'the marker uninstall-service looks for comes first');
  const service = section(unit, 'Service');
  assert.deepEqual(service.get('ExecStart'), ['/usr/local/bin/node /opt/dfs/dist/bin/datafile-stream.js upload-directory /data/instrument --topic_name raw']);
  assert.deepEqual(service.get('WorkingDirectory'), ['/srv/lab']);
  assert.deepEqual(service.get('Restart'), ['always']);
  assert.ok(Number(service.get('RestartSec')![0]) > 0);
  assert.deepEqual(service.get('RestartPreventExitStatus'), ['2'], 'a usage error is not restarted');
  assert.deepEqual(service.get('KillSignal'), ['SIGTERM']);
  assert.ok(Number(service.get('TimeoutStopSec')![0]) > 30 && TIMEOUT_STOP_SECONDS > 30);
  assert.deepEqual(service.get('SuccessExitStatus'), ['143'], 'the graceful stop\'s exit 143 is a clean stop');
  assert.equal(service.has('Environment'), false);
  assert.equal(service.has('User'), false);
  assert.deepEqual(section(unit, 'Install').get('WantedBy'), ['multi-user.target']);
  assert.match(section(unit, 'Unit').get('Description')![0]!, /^datafile-stream upload-directory \/data\/instrument/);
});

test('Environment and User appear when given; % and $ are escaped where systemd would expand them', () => {
  const unit = buildServiceUnit({
    ...SPEC,
    args: ['/data/100% done', '--upload_regex', '^run_$'],
    environment: { OPENMSISTREAM_CONFIG_FILE_DIR: '/etc/lab $configs' },
    user: 'lab',
  });
  const service = section(unit, 'Service');
  assert.deepEqual(service.get('Environment'), ['"OPENMSISTREAM_CONFIG_FILE_DIR=/etc/lab $configs"']);
  assert.deepEqual(service.get('User'), ['lab']);
  assert.match(service.get('ExecStart')![0]!, / "\/data\/100%% done" --upload_regex "\^run_\$\$"$/);
  assert.match(section(unit, 'Unit').get('Description')![0]!, /100%% done/);
});

test('ExecStart quoting: plain words stay bare; spaces, quotes, backslashes and a lone ; are escaped', () => {
  assert.equal(quoteExecArgument('/a/b-c_d.e'), '/a/b-c_d.e');
  assert.equal(quoteExecArgument('--output_dir=/x'), '--output_dir=/x');
  assert.equal(quoteExecArgument('a b'), '"a b"');
  assert.equal(quoteExecArgument('say "hi"'), '"say \\"hi\\""');
  assert.equal(quoteExecArgument('C:\\x'), '"C:\\\\x"');
  assert.equal(quoteExecArgument(''), '""');
  assert.equal(quoteExecArgument(';'), '\\;');
  assert.equal(quoteExecArgument('line\nbreak'), '"line\\nbreak"');
});

test('the derived name is stable for the same program and arguments and differs otherwise', () => {
  const a = deriveServiceName('process', ['/m.js', '--topic_name', 't']);
  assert.match(a, /^datafile-stream-process-[0-9a-f]{8}$/);
  assert.equal(deriveServiceName('process', ['/m.js', '--topic_name', 't']), a);
  assert.notEqual(deriveServiceName('process', ['/m.js', '--topic_name', 'u']), a);
  assert.equal(checkServiceName(a), a);
});

test('a name systemd would not accept is a usage error naming the option; ".service" is dropped', () => {
  assert.equal(checkServiceName('lab-upload.service'), 'lab-upload');
  for (const bad of ['', 'a b', 'x@y', '../etc/passwd', '-x', 'a/b']) {
    assert.throws(() => checkServiceName(bad), (err: { code?: string; option?: string }) => err.code === 'ERR_INVALID_ARGUMENT' && err.option === 'name', bad);
  }
});

test('relative paths become absolute: the first argument of path commands, --output_dir always, --config only when it exists', () => {
  const context = { cwd: '/home/u', exists: (p: string) => p === '/home/u/lab.config' };
  assert.deepEqual(
    absoluteArguments('upload-directory', ['data', '--config', 'lab.config', '--output_dir=out', '--topic_name', 'raw', '--logger_file_path', 'log/x.log'], context),
    ['/home/u/data', '--config', '/home/u/lab.config', '--output_dir=/home/u/out', '--topic_name', 'raw', '--logger_file_path', '/home/u/log/x.log'],
  );
  assert.deepEqual(absoluteArguments('process', ['./p.ts', '--config', 'local', '--output-dir', 'o'], context), ['/home/u/p.ts', '--config', 'local', '--output-dir', '/home/u/o']);
  assert.deepEqual(absoluteArguments('s3-transfer', ['my-bucket', '--config=lab.config'], context), ['my-bucket', '--config=/home/u/lab.config'], 'a bucket is not a path');
  assert.deepEqual(absoluteArguments('download-directory', ['/abs/out'], context), ['/abs/out']);
});
