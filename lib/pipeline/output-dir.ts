/**
 * prepareOutputDir: makes sure the consumer's output directory exists and can be written, before
 * anything connects, with a coded error that says what is wrong with the path.
 *
 * Why not `mkdir(path, { recursive: true })`: on a path it cannot create it reports the errno of
 * its last probe, often ENOENT when the cause is a read-only filesystem or a permission, and under
 * /proc it does not return at all (Node 20). So the missing components are created one by one
 * from the nearest existing ancestor, and the first refusal is reported with its real cause.
 *
 * Synchronous: a program's constructor calls it before it opens its log file under LOGS/, and
 * it runs once, at start-up.
 */
import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataFileStreamError } from '../errors.js';

export function prepareOutputDir(path: string): void {
  const full = resolve(path);
  const missing: string[] = [];
  let existing = full;
  for (;;) {
    let info: Stats | undefined;
    try {
      info = statSync(existing);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw writeError(path, existing, err as NodeJS.ErrnoException);
    }
    if (info) {
      if (!info.isDirectory()) {
        const what = existing === full ? `${path} is not a directory` : `${path} cannot be created: ${existing} is a file, not a directory`;
        throw new DataFileStreamError('ERR_OUTPUT_NOT_DIRECTORY', `${what}; give a directory (or a path that does not exist yet) as the output directory`, { path });
      }
      break;
    }
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(path, dir, err as NodeJS.ErrnoException);
    }
  }
  try {
    accessSync(full, constants.W_OK);
  } catch (err) {
    throw writeError(path, full, err as NodeJS.ErrnoException);
  }
}

function writeError(path: string, at: string, err: NodeJS.ErrnoException): DataFileStreamError {
  const why =
    err.code === 'EROFS' ? 'it is on a read-only filesystem'
    : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied'
    : err.code === 'ENOTDIR' ? `a component of ${at} is a file, not a directory`
    : `${err.code ?? 'error'}: ${err.message}`;
  const where = at === resolve(path) ? path : `${path} (at ${at})`;
  return new DataFileStreamError('ERR_OUTPUT_NOT_WRITABLE', `cannot write to the output directory ${where}: ${why}; choose a directory this user can write`, { path, errno: err.code }, err);
}
