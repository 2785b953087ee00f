/**
 * broker-process: the operating-system side of the local broker's JVM, by pid.
 *
 * `isAlive` treats a zombie (an exited child not yet reaped) as dead, so a caller that spawned
 * the broker itself sees it go. `isKafkaProcessOf` guards against pid reuse: on Linux, a pid
 * read from a stale pid file only counts if /proc shows a `kafka.Kafka` JVM running that exact
 * server.properties; elsewhere the pid is trusted. `terminate` is SIGTERM, then SIGKILL.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Alive and not a zombie (an exited child nobody has reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** True unless /proc shows the pid now belongs to something other than this data dir's broker. */
export function isKafkaProcessOf(pid: number, serverProperties: string): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return process.platform !== 'linux';
  }
  const args = cmdline.split('\0');
  return args.includes('kafka.Kafka') && args.includes(serverProperties);
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then SIGKILL after `timeoutMs`; true when SIGKILL was needed. */
export async function terminate(pid: number, timeoutMs: number): Promise<boolean> {
  const gone = async (ms: number): Promise<boolean> => {
    const until = Date.now() + ms;
    while (isAlive(pid)) {
      if (Date.now() > until) return false;
      await sleep(100);
    }
    return true;
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  if (await gone(timeoutMs)) return false;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return true;
  }
  await gone(10_000);
  return true;
}
