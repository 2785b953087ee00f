/**
 * install-service and uninstall-service through the built bin (dist/bin/datafile-stream.js), as
 * a user runs them: the printed unit and systemctl lines, the unit accepted by the real
 * `systemd-analyze verify`, --write and uninstall into DATAFILE_STREAM_UNIT_DIR (systemctl is
 * never run: there is no systemd PID 1 here), the root check as the `nobody` user, and the
 * refusals. No Kafka needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/temp-dir.js';
import { requireRoot } from '../../lib/cli/commands/install-service.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'dist', 'bin', 'datafile-stream.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const spawnOptions: SpawnSyncOptions = { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, encoding: 'utf8', timeout: 30_000 };
  const command = [process.execPath, BIN, ...args];
  const r = spawnSync(command[0]!, command.slice(1), spawnOptions);
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function execStart(unit: string): string {
  const line = unit.split('\n').find((l) => l.startsWith('ExecStart='));
  assert.ok(line, unit);
  return line.slice('ExecStart='.length);
}

test('install-service prints the unit (current node, absolute bin and paths) on stdout and the systemctl lines on stderr', async (t) => {
  const cwd = await tempDir(t, 'dfs-service-');
  await writeFile(join(cwd, 'lab.config'), '[broker]\nbootstrap.servers = 127.0.0.1:9092\n');
  const r = cli(['install-service', 'upload-directory', 'data', '--config', 'lab.config', '--topic_name', 'raw'], { cwd, env: { OPENMSISTREAM_CONFIG_FILE_DIR: 'configs' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(execStart(r.stdout), `${process.execPath} ${BIN} upload-directory ${join(cwd, 'data')} --config ${join(cwd, 'lab.config')} --topic_name raw`);
  assert.match(r.stdout, new RegExp(`^WorkingDirectory=${cwd}$`, 'm'));
  assert.match(r.stdout, new RegExp(`^Environment=OPENMSISTREAM_CONFIG_FILE_DIR=${join(cwd, 'configs')}$`, 'm'));
  const name = /enable --now (datafile-stream-upload-directory-[0-9a-f]{8})\.service/.exec(r.stderr)?.[1];
  assert.ok(name, r.stderr);
  assert.match(r.stderr, /^systemctl daemon-reload$/m);
  assert.match(r.stdout, new RegExp(`uninstall-service ${name}`));
});

test('systemd-analyze verify accepts the unit of every long-lived program, with no warning', async (t) => {
  const dir = await tempDir(t, 'dfs-service-');
  await writeFile(join(dir, 'proc.js'), 'export default class {}\n');
  const programs = [
    ['upload-directory', dir],
    ['download-directory', 'out dir', '--consumer_group_id', 'g'],
    ['process', 'proc.js', '--output_dir', 'o', '--upload_regex', '^a%b$'],
    ['s3-transfer', 'bucket', '--config', 'local'],
    ['DataFileDownloadDirectory', 'copy'],
  ];
  for (const args of programs) {
    const printed = cli(['install-service', '--name', `dfs-verify-${args[0]}`, ...args], { cwd: dir, env: { OPENMSISTREAM_CONFIG_FILE_DIR: dir } });
    assert.equal(printed.code, 0, printed.stderr);
    const file = join(dir, `dfs-verify-${args[0]}.service`);
    await writeFile(file, printed.stdout);
    const verify = spawnSync('/usr/bin/systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(verify.error, undefined, 'systemd-analyze runs in this sandbox');
    assert.equal(verify.status, 0, `${args[0]}: ${verify.stderr}`);
    assert.equal(verify.stderr.trim(), '', `${args[0]}: systemd-analyze warned:\n${verify.stderr}\n${printed.stdout}`);
  }
  // And it does check: a unit whose ExecStart binary is gone fails verification.
  const broken = join(dir, 'dfs-broken.service');
  await writeFile(broken, (await readFile(join(dir, 'dfs-verify-process.service'), 'utf8')).replace(`ExecStart=${process.execPath}`, 'ExecStart=/nonexistent/node'));
  assert.notEqual(spawnSync('/usr/bin/systemd-analyze', ['verify', broken], { encoding: 'utf8' }).status, 0);
});

test('--write installs into the unit directory, again replaces it, never a foreign unit; uninstall-service removes it', async (t) => {
  const units = await tempDir(t, 'dfs-units-');
  const env = { DATAFILE_STREAM_UNIT_DIR: units };
  const first = cli(['install-service', '--name', 'lab-copy', '--write', 'download-directory', '/srv/copy'], { env });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`Wrote ${join(units, 'lab-copy.service')}`));
  assert.match(first.stdout, /^systemctl enable --now lab-copy\.service$/m);
  const again = cli(['install-service', '--name', 'lab-copy.service', '--write', 'download-directory', '/srv/copy2'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.match(execStart(await readFile(join(units, 'lab-copy.service'), 'utf8')), /download-directory \/srv\/copy2$/);

  await writeFile(join(units, 'sshd.service'), '[Service]\nExecStart=/usr/sbin/sshd\n');
  const foreign = cli(['install-service', '--name', 'sshd', '--write', 'download-directory', '/srv/x'], { env });
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /ERR_SERVICE_FOREIGN/);
  const foreignRemove = cli(['uninstall-service', '--write', 'sshd'], { env });
  assert.equal(foreignRemove.code, 1);
  assert.match(foreignRemove.stderr, /ERR_SERVICE_FOREIGN/);
  assert.equal(await readFile(join(units, 'sshd.service'), 'utf8'), '[Service]\nExecStart=/usr/sbin/sshd\n', 'left alone');

  const printed = cli(['uninstall-service', 'lab-copy'], { env });
  assert.equal(printed.code, 0, printed.stderr);
  assert.equal(printed.stdout.split('\n').slice(0, 3).join('\n'), `systemctl disable --now lab-copy.service\nrm ${join(units, 'lab-copy.service')}\nsystemctl daemon-reload`);
  assert.ok(existsSync(join(units, 'lab-copy.service')), 'without --write nothing is removed');
  const removed = cli(['uninstall-service', '--write', 'lab-copy'], { env });
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(existsSync(join(units, 'lab-copy.service')), false);
  const missing = cli(['uninstall-service', '--write', 'lab-copy'], { env });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ERR_SERVICE_NOT_FOUND/);
});

test('--write without root is a coded error naming the unit, and writes nothing to /etc/systemd/system', () => {
  // The user id is handed in: a child run as another user could not read a project under a
  // root-only directory (as CI's clean clone is), so the check is exercised in this process.
  const path = '/etc/systemd/system/dfs-not-root-test.service';
  const saved = process.env.DATAFILE_STREAM_UNIT_DIR;
  delete process.env.DATAFILE_STREAM_UNIT_DIR;
  try {
    assert.throws(() => requireRoot('writing', path, 65534), { code: 'ERR_SERVICE_NOT_ROOT', message: /writing \/etc\/systemd\/system\/dfs-not-root-test\.service needs root/ });
    assert.throws(() => requireRoot('removing', path, 1000), { code: 'ERR_SERVICE_NOT_ROOT', message: /^removing / });
    assert.doesNotThrow(() => requireRoot('writing', path, 0));
  } finally {
    if (saved !== undefined) process.env.DATAFILE_STREAM_UNIT_DIR = saved;
  }
  assert.equal(existsSync(path), false);
});

test('an unknown command gets a did-you-mean, and broker, upload-file and install-service itself are refused (exit 2)', () => {
  const typo = cli(['install-service', 'procss', 'x.js']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /ERR_INVALID_ARGUMENT: unknown command "procss" \(did you mean process\?\)/);
  for (const command of ['broker', 'upload-file', 'install-service', 'uninstall-service', 'UploadDataFile']) {
    const r = cli(['install-service', command, 'x']);
    assert.equal(r.code, 2, `${command}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`ERR_INVALID_ARGUMENT: ${command} cannot run as a service: `));
  }
  const option = cli(['install-service', '--nme', 'x', 'process', 'm.js']);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /did you mean --name\?/);
  const badName = cli(['install-service', '--name', 'a b', 'process', 'm.js']);
  assert.equal(badName.code, 2);
  assert.match(badName.stderr, /ERR_INVALID_ARGUMENT: "a b" is not a service name/);
});

test('--help for both commands, and the main help lists them', () => {
  const install = cli(['install-service', '--help']);
  assert.equal(install.code, 0);
  assert.match(install.stdout, /^Usage: datafile-stream install-service \[--name NAME\] \[--user USER\] \[--write\] <command> \[args\.\.\.\]$/m);
  const uninstall = cli(['uninstall-service', '-h']);
  assert.equal(uninstall.code, 0);
  assert.match(uninstall.stdout, /^Usage: datafile-stream uninstall-service \[--write\] <name>$/m);
  assert.equal(cli(['uninstall-service']).code, 2, 'no name is a usage error');
  const main = cli(['--help']);
  assert.match(main.stdout, /^ {2}install-service <command>/m);
  assert.match(main.stdout, /^ {2}uninstall-service <name>/m);
});
