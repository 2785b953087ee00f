/**
 * broker-port-record: which data dir the local broker on a port was started from, so that
 * `broker status --port P` and `broker stop --port P` find a broker started with
 * `--data_dir X --port P` without being told X again.
 *
 * One small file per port, `<home>/broker-ports/<port>`, holding the data dir's absolute path:
 * written when a broker is started (or found running) from a data dir, removed when that broker
 * is stopped. It is a hint, never trusted alone: local-kafka.ts uses it only when the pid file
 * in that data dir names a live `kafka.Kafka` JVM of that data dir's server.properties, so a
 * stale record (broker killed, data dir deleted) is harmless. Writes go through a temporary
 * file and a rename, so a reader never sees half a path.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

export function portRecordPath(home: string, port: number): string {
  return join(home, 'broker-ports', String(port));
}

/** The data dir recorded for the port, or undefined (none, unreadable, or not an absolute path). */
export function recalledDataDir(home: string, port: number): string | undefined {
  try {
    const dataDir = readFileSync(portRecordPath(home, port), 'utf8').trim();
    return dataDir !== '' && isAbsolute(dataDir) ? dataDir : undefined;
  } catch {
    return undefined;
  }
}

export async function rememberDataDir(home: string, port: number, dataDir: string): Promise<void> {
  const file = portRecordPath(home, port);
  await mkdir(join(home, 'broker-ports'), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${dataDir}\n`);
  await rename(temporary, file);
}

/** Removes the record if it still names `dataDir` (another start may have replaced it since). */
export async function forgetDataDir(home: string, port: number, dataDir: string): Promise<void> {
  if (recalledDataDir(home, port) === dataDir) await rm(portRecordPath(home, port), { force: true });
}
