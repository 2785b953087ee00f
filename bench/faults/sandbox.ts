/**
 * Sandbox: one scenario's private corner of the filesystem.
 *
 *   <root>/nest/a/b/out*     output directories (three levels deep, so `../` chains in hostile
 *                            records land inside the sandbox, where the oracle can see them)
 *   <root>/outside/          planted files and symlink targets that nothing may touch
 *   <root>/harness/          the harness's own files (config, record file, program logs)
 *
 * `watchOutside()` snapshots everything but the output directories and the harness; `outside()`
 * reports what appeared or changed since, plus any canary path (absolute paths hostile records
 * aimed at, outside the sandbox) that now exists.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outsideChanges, snapshotTree, type OutsideChanges, type TreeSnapshot } from './tree-snapshot.js';

export interface ConsumerConfigOptions {
  port?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export class Sandbox {
  readonly root: string;
  readonly outside: string;
  readonly harness: string;
  readonly #outs: string[] = [];
  readonly #canaries: string[] = [];
  #before: TreeSnapshot | undefined;

  private constructor(root: string) {
    this.root = root;
    this.outside = join(root, 'outside');
    this.harness = join(root, 'harness');
  }

  static async create(label: string): Promise<Sandbox> {
    const root = await mkdtemp(join(tmpdir(), `dfs-faults-${label}-`));
    const box = new Sandbox(root);
    await mkdir(box.harness, { recursive: true });
    await mkdir(join(box.outside, 'dir'), { recursive: true });
    await mkdir(join(root, 'nest', 'a', 'b'), { recursive: true });
    await writeFile(join(box.outside, 'victim.txt'), 'planted outside the output directory\n');
    await writeFile(join(box.outside, 'dir', 'victim.bin'), Buffer.alloc(64, 7));
    return box;
  }

  /** A new output directory path (not created: the program creates it). */
  outputDir(name = 'out'): string {
    const dir = join(this.root, 'nest', 'a', 'b', name);
    this.#outs.push(dir);
    return dir;
  }

  /** An absolute path outside the sandbox that must never come to exist. */
  canary(name: string): string {
    const path = join(tmpdir(), `dfs-faults-canary-${name}`);
    this.#canaries.push(path);
    return path;
  }

  harnessFile(name: string): string {
    return join(this.harness, name);
  }

  /** An OpenMSIStream INI config for the fault runs (short session timeout: fast rejoins). */
  async writeConfig(name: string, o: ConsumerConfigOptions = {}): Promise<string> {
    const path = this.harnessFile(name);
    const text = [
      '[broker]',
      `bootstrap.servers = 127.0.0.1:${o.port ?? 9092}`,
      '',
      '[producer]',
      'compression.type = lz4',
      'linger.ms = 20',
      '',
      '[consumer]',
      'group.id = create_new',
      'auto.offset.reset = earliest',
      'enable.auto.commit = False',
      `session.timeout.ms = ${o.sessionTimeoutMs ?? 6000}`,
      `heartbeat.interval.ms = ${o.heartbeatIntervalMs ?? 2000}`,
      '',
    ].join('\n');
    await writeFile(path, text);
    return path;
  }

  async watchOutside(): Promise<void> {
    this.#before = await snapshotTree(this.root, [...this.#outs, this.harness]);
  }

  async outsideReport(): Promise<OutsideChanges> {
    const after = await snapshotTree(this.root, [...this.#outs, this.harness]);
    const changes = outsideChanges(this.#before ?? new Map(), after);
    for (const path of this.#canaries) if (existsSync(path)) changes.entries.push(`new ${path}`);
    return changes;
  }

  async cleanup(): Promise<void> {
    for (const path of this.#canaries) await rm(path, { recursive: true, force: true });
    await rm(this.root, { recursive: true, force: true });
  }
}
