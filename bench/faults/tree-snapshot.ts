/**
 * Tree snapshots for the "nothing outside the output directory" oracle: every entry under a
 * root (files with size and SHA-512, directories, symlinks with their target), without
 * following symlinks, minus the paths the caller excludes (the output directories themselves,
 * the harness's own files). `outsideChanges(before, after)` counts what appeared or changed.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface TreeEntry {
  kind: 'file' | 'dir' | 'link' | 'other';
  size: number;
  hash: string;
}

export type TreeSnapshot = Map<string, TreeEntry>;

export async function snapshotTree(root: string, exclude: readonly string[] = []): Promise<TreeSnapshot> {
  const out: TreeSnapshot = new Map();
  const skip = new Set(exclude.map((p) => relative(root, p).split(sep).join('/')));
  async function walk(dir: string): Promise<void> {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const full = join(dir, name);
      const rel = relative(root, full).split(sep).join('/');
      if (skip.has(rel)) continue;
      const info = await lstat(full).catch(() => undefined);
      if (!info) continue;
      if (info.isSymbolicLink()) {
        out.set(rel, { kind: 'link', size: 0, hash: await readlink(full).catch(() => '?') });
      } else if (info.isDirectory()) {
        out.set(rel, { kind: 'dir', size: 0, hash: '' });
        await walk(full);
      } else if (info.isFile()) {
        const data = await readFile(full).catch(() => Buffer.alloc(0));
        out.set(rel, { kind: 'file', size: info.size, hash: createHash('sha512').update(data).digest('hex') });
      } else {
        out.set(rel, { kind: 'other', size: info.size, hash: '' });
      }
    }
  }
  await walk(root);
  return out;
}

export interface OutsideChanges {
  /** Bytes of files that appeared or changed. */
  bytes: number;
  /** Entries (files, directories, links) that appeared, changed or vanished. */
  entries: string[];
}

export function outsideChanges(before: TreeSnapshot, after: TreeSnapshot): OutsideChanges {
  let bytes = 0;
  const entries: string[] = [];
  for (const [path, entry] of after) {
    const was = before.get(path);
    if (was && was.kind === entry.kind && was.hash === entry.hash && was.size === entry.size) continue;
    entries.push(`${was ? 'changed' : 'new'} ${entry.kind} ${path}`);
    bytes += entry.size;
  }
  for (const path of before.keys()) if (!after.has(path)) entries.push(`vanished ${path}`);
  return { bytes, entries };
}
