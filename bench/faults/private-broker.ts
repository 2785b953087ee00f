/**
 * A broker of the fault matrix's own, for the scenario that kills one: a local Kafka on
 * 127.0.0.1:19192 with its data in the scenario's sandbox (lib/broker/local-kafka.ts), so the
 * shared broker on 9092 that other work relies on is never touched. `kill9()` SIGKILLs the JVM
 * by the pid startBroker returned; `restart()` starts it again on the same data directory.
 */
import { startBroker, stopBroker, type StartBrokerResult } from '../../lib/broker/local-kafka.js';

export const PRIVATE_BROKER_PORT = 19192;

export class PrivateBroker {
  readonly dataDir: string;
  readonly port: number;
  #pid: number | undefined;

  constructor(dataDir: string, port = PRIVATE_BROKER_PORT) {
    this.dataDir = dataDir;
    this.port = port;
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  async start(): Promise<StartBrokerResult> {
    const result = await startBroker({ port: this.port, dataDir: this.dataDir, startTimeoutMs: 90_000 });
    if (result.alreadyRunning && result.pid === undefined) throw new Error(`something else already answers as Kafka on 127.0.0.1:${this.port}`);
    this.#pid = result.pid;
    return result;
  }

  kill9(): void {
    if (this.#pid === undefined) throw new Error('private broker not started');
    process.kill(this.#pid, 'SIGKILL');
    this.#pid = undefined;
  }

  async stop(): Promise<void> {
    await stopBroker({ port: this.port, dataDir: this.dataDir, stopTimeoutMs: 10_000 }).catch(() => undefined);
  }
}
