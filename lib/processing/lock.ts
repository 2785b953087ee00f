/**
 * The one async mutex shared by every concurrent processing call of a processor (SPEC §4):
 * `await lock.runExclusive(fn)` or `const release = await lock.acquire(); ... release()`.
 */
import { Mutex } from 'async-mutex';

export interface Lock {
  runExclusive<T>(fn: () => T | Promise<T>): Promise<T>;
  acquire(): Promise<() => void>;
  isLocked(): boolean;
}

export function createLock(): Lock {
  const mutex = new Mutex();
  return {
    runExclusive: (fn) => mutex.runExclusive(fn),
    acquire: () => mutex.acquire(),
    isLocked: () => mutex.isLocked(),
  };
}
