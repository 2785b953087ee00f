/**
 * Integration: the secured local broker (`broker start --security sasl_ssl`, started here on free
 * ports in a temp data dir and stopped after) and the toolkit over its SASL_SSL listener, on
 * kafkajs and, where the addon loads, on librdkafka.
 *
 * - The broker's client files: both configs name SASL_SSL, the mechanism, `$KAFKA_SASL_*` and
 *   the CA; the files holding passwords are 0600; start and status find it again.
 * - Round trip per engine and mechanism (PLAIN, SCRAM-SHA-512): upload-directory and upload-file,
 *   then download-directory rebuilds every file byte for byte and commits to the end.
 * - Failures per engine: a wrong password, an unknown user, a CA that did not sign the broker's
 *   certificate, a plaintext client on the TLS port. Each exits 1 within seconds with one coded
 *   line (ERR_KAFKA_AUTH / ERR_KAFKA_TLS), produces nothing, rebuilds nothing, commits nothing.
 * - Every run's stdout, stderr and LOGS/ files, and every `--help`, are searched for both
 *   users' passwords.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { clientConfigFile, clientEnvFile, type ClientMechanism } from '../../lib/broker/broker-security.js';
import { librdkafkaAvailable } from '../../lib/kafka/librdkafka-engine.js';
import { runBroker } from '../../lib/cli/commands/broker.js';
import { tempDir } from '../support/temp-dir.js';
import { runCliWithEnv, startSecuredBroker, textOf, type EnvCliResult, type SecuredBroker } from '../support/secured-broker.js';

const ENGINES = ['kafkajs', ...(librdkafkaAvailable() ? ['librdkafka'] : [])];
const MECHANISMS: ClientMechanism[] = ['SCRAM-SHA-512', 'PLAIN'];
let broker: SecuredBroker;

before(async () => {
  broker = await startSecuredBroker();
});
after(async () => {
  await broker?.stop();
});

const sha = (data: Uint8Array): string => createHash('sha512').update(data).digest('hex');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Neither user's password in the runs' output nor in any file under `dirs` (their LOGS/ included). */
async function assertNoSecrets(runs: EnvCliResult[], dirs: string[]): Promise<void> {
  const texts = runs.flatMap((r) => [r.stdout, r.stderr]);
  for (const dir of dirs) for (const file of await filesUnder(dir)) texts.push(textOf(file));
  for (const { username, password } of [broker.users.client, broker.users.admin]) {
    assert.equal(texts.filter((t) => t.includes(password)).length, 0, `${username}'s password appears in the output`);
  }
}

async function copyOfConfig(dir: string, mechanism: ClientMechanism, edit: (text: string) => string = (t) => t, name: string = mechanism): Promise<string> {
  const path = join(dir, `${name}.config`);
  await writeFile(path, edit(await readFile(clientConfigFile(broker.dataDir, mechanism), 'utf8')));
  return path;
}

async function topicEnds(topic: string): Promise<number> {
  return broker.withAdmin(async (admin) => {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  });
}

async function committed(group: string, topic: string): Promise<number> {
  return broker.withAdmin(async (admin) => {
    // Without topics: asking about a topic that was never made fails instead of answering "none".
    const offsets = (await admin.fetchOffsets({ groupId: group })).filter((o) => o.topic === topic);
    return offsets.flatMap((o) => o.partitions).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  });
}

test('broker start --security sasl_ssl: client configs for SCRAM-SHA-512 and PLAIN, secrets in 0600 files, status and start find it again', async () => {
  const { started, dataDir, port } = broker;
  assert.equal(started.security, 'sasl_ssl');
  for (const mechanism of MECHANISMS) {
    const text = await readFile(started.client!.configFiles[mechanism], 'utf8');
    assert.match(text, new RegExp(`bootstrap\\.servers = 127\\.0\\.0\\.1:${port}\\n`));
    assert.match(text, /security\.protocol = SASL_SSL\n/);
    assert.match(text, new RegExp(`sasl\\.mechanism\\s+= ${mechanism}\\n`));
    assert.match(text, /sasl\.username\s+= \$KAFKA_SASL_USERNAME\nsasl\.password\s+= \$KAFKA_SASL_PASSWORD\n/);
    assert.match(text, new RegExp(`ssl\\.ca\\.location\\s+= ${started.client!.caFile}\\n`));
  }
  for (const file of [clientEnvFile(dataDir), join(dataDir, 'users.json'), join(dataDir, 'server.properties')]) {
    assert.equal(statSync(file).mode & 0o077, 0, `${file} is readable by others`);
  }
  const out: string[] = [];
  const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } } as never;
  assert.equal(await runBroker(['status', '--port', String(port)], io), 0, out.join(''));
  assert.equal(await runBroker(['start', '--security', 'sasl_ssl', '--port', String(port), '--data_dir', dataDir], io), 0, out.join(''));
  const printed = out.join('');
  assert.match(printed, new RegExp(`already answers on 127\\.0\\.0\\.1:${port} \\(SASL_SSL\\)`));
  assert.match(printed, /Client config \(SASL SCRAM-SHA-512 over TLS\): .*client-scram-sha-512\.config/);
  assert.match(printed, /set -a; \. .*client\.env; set \+a/);
  assert.equal(printed.includes(broker.users.client.password) || printed.includes(broker.users.admin.password), false, 'no password printed');
});

for (const engine of ENGINES) {
  for (const mechanism of MECHANISMS) {
    test(`${engine}, SASL ${mechanism} over TLS: upload-directory and upload-file, download-directory rebuilds every byte and commits to the end`, async (t) => {
      const dir = await tempDir(t);
      const source = join(dir, 'source');
      await mkdir(join(source, 'sub dir'), { recursive: true });
      const files: Record<string, Buffer> = { 'a.dat': randomBytes(70_000), 'sub dir/b.txt': Buffer.from('secured\n'.repeat(5000)), 'empty.bin': Buffer.alloc(0) };
      for (const [name, data] of Object.entries(files)) await writeFile(join(source, name), data);
      const single = randomBytes(40_000);
      await writeFile(join(dir, 'single.dat'), single);
      const config = await copyOfConfig(dir, mechanism);
      const topic = `secured-${engine}-${mechanism.toLowerCase()}-${Date.now()}`;
      const common = ['--config', config, '--topic_name', topic, '--kafka_engine', engine];
      const runs: EnvCliResult[] = [];
      runs.push(await runCliWithEnv(['upload-directory', source, ...common, '--chunk_size', '16384', '--upload_existing', '--until_idle', '2'], broker.env));
      assert.equal(runs.at(-1)!.code, 0, runs.at(-1)!.stderr);
      runs.push(await runCliWithEnv(['upload-file', join(dir, 'single.dat'), ...common, '--chunk_size', '16384'], broker.env));
      assert.equal(runs.at(-1)!.code, 0, runs.at(-1)!.stderr);
      const out = join(dir, 'out');
      const group = `g-${topic}`;
      runs.push(await runCliWithEnv(['download-directory', out, ...common, '--consumer_group_id', group, '--until_idle', '4'], broker.env));
      assert.equal(runs.at(-1)!.code, 0, runs.at(-1)!.stderr);

      const rebuilt = (await filesUnder(out)).map((f) => relative(out, f)).filter((f) => !f.startsWith('LOGS'));
      assert.deepEqual(rebuilt.sort(), [...Object.keys(files), 'single.dat'].sort());
      for (const [name, data] of Object.entries({ ...files, 'single.dat': single })) {
        assert.equal(sha(await readFile(join(out, name))), sha(data), `${name} rebuilt byte for byte`);
      }
      const end = await topicEnds(topic);
      assert.ok(end > 0);
      assert.equal(await committed(group, topic), end, 'the group committed every record');
      await assertNoSecrets(runs, [dir]);
    });
  }

  test(`${engine}: a wrong password, an unknown user, a wrong CA and a plaintext client each fail in seconds with one coded line, writing and committing nothing`, async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'f.dat'), randomBytes(50_000));
    const cases = [
      { name: 'wrong password', code: 'ERR_KAFKA_AUTH', why: /refused SASL SCRAM-SHA-512 authentication as user "datafile-stream"/, config: await copyOfConfig(dir, 'SCRAM-SHA-512'), env: { ...broker.env, KAFKA_SASL_PASSWORD: 'not-the-password' } },
      { name: 'unknown user', code: 'ERR_KAFKA_AUTH', why: /refused SASL PLAIN authentication as user "mallory"/, config: await copyOfConfig(dir, 'PLAIN'), env: { ...broker.env, KAFKA_SASL_USERNAME: 'mallory' } },
      {
        name: 'wrong CA',
        code: 'ERR_KAFKA_TLS',
        why: /TLS handshake with Kafka at .* failed \(SELF_SIGNED_CERT_IN_CHAIN: .*check ssl\.ca\.location/,
        config: await copyOfConfig(dir, 'SCRAM-SHA-512', (text) => text.replace(/ssl\.ca\.location\s+= .*/, `ssl.ca.location = ${broker.otherCaFile}`), 'other-ca'),
        env: broker.env,
      },
      {
        name: 'plaintext client',
        code: 'ERR_KAFKA_TLS',
        why: /speaks TLS, but the config's security\.protocol is PLAINTEXT; set security\.protocol = SSL or SASL_SSL/,
        config: await copyOfConfig(dir, 'PLAIN', (text) => text.replace(/security\.protocol = SASL_SSL\n(.*\n){4}/, ''), 'plaintext'),
        env: broker.env,
      },
    ];
    const runs: EnvCliResult[] = [];
    for (const c of cases) {
      const topic = `secured-fail-${engine}-${c.name.replace(/ /g, '-')}-${Date.now()}`;
      const group = `g-${topic}`;
      const out = join(dir, `out-${c.name.replace(/ /g, '-')}`);
      const common = ['--config', c.config, '--topic_name', topic, '--kafka_engine', engine, '--logger_stream_level', 'warning'];
      const upload = await runCliWithEnv(['upload-file', join(dir, 'f.dat'), ...common], c.env);
      const download = await runCliWithEnv(['download-directory', out, ...common, '--consumer_group_id', group, '--until_idle', '3'], c.env);
      for (const [command, run] of [['upload-file', upload], ['download-directory', download]] as const) {
        runs.push(run);
        assert.equal(run.code, 1, `${c.name}, ${command}: ${run.stderr}`);
        assert.ok(run.ms < 15_000, `${c.name}, ${command}: failed after ${run.ms} ms`);
        const lines = run.stderr.trim().split('\n').filter((l) => !/"level":(30|40)/.test(l));
        assert.equal(lines.length, 1, `${c.name}, ${command}: one line\n${run.stderr}`);
        assert.match(lines[0]!, new RegExp(`^datafile-stream ${command}: ${c.code}: `), `${c.name}, ${command}`);
        assert.match(lines[0]!, c.why, `${c.name}, ${command}`);
      }
      assert.equal(await topicEnds(topic), 0, `${c.name}: nothing produced`);
      assert.deepEqual((await filesUnder(out)).filter((f) => !relative(out, f).startsWith('LOGS')), [], `${c.name}: nothing rebuilt`);
      assert.equal(await committed(group, topic), 0, `${c.name}: nothing committed`);
    }
    await assertNoSecrets(runs, [dir]);
  });
}

test('no password in any --help', async () => {
  const runs: EnvCliResult[] = [];
  for (const command of [[], ['broker'], ['upload-file'], ['upload-directory'], ['download-directory']]) {
    runs.push(await runCliWithEnv([...command, '--help'], broker.env));
    assert.equal(runs.at(-1)!.code, 0, runs.at(-1)!.stderr);
  }
  assert.match(runs[1]!.stdout, /--security sasl_ssl/);
  await assertNoSecrets(runs, []);
});
