/**
 * ProgramTelemetry: a running program's heartbeats and log batches (OpenMSIStream's
 * ControlledProcessHeartbeatsLogs, telemetry-messages.ts for the bytes), sent from a producer
 * of its own so they never queue behind file chunks.
 *
 * In: running totals from the program (`setCounts`), log lines through `logStream()` (a pino
 * stream entry). Out: one heartbeat as soon as the producer is connected and then every
 * interval (the counters are the deltas since the previous one), one log batch per interval
 * when lines arrived, and a last heartbeat and batch from `stop()`.
 *
 * Never in the data path's way: timers are unref'd, a send still in flight makes the next tick
 * skip rather than queue, log lines wait in a bounded LogBatch, and a topic that cannot be
 * reached is logged (one warning per failing streak), never thrown. `stop()` gives the last
 * sends `stopTimeoutMs` and then disconnects whatever happened.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { errorCodeOf } from '../errors.js';
import { compressionFromName } from '../kafka/compression.js';
import { ensureTopic } from '../kafka/ensure-topic.js';
import { LogBatch } from './log-batch.js';
import { heartbeatMessage, logBatchMessage, sinceLast, type HeartbeatCounts, type TelemetryMessage } from './telemetry-messages.js';
import type { TelemetryChannel, TelemetrySettings } from './telemetry-options.js';

type Kind = 'heartbeat' | 'log';

export class ProgramTelemetry {
  readonly settings: TelemetrySettings;
  readonly #logger: Logger;
  readonly #kafka: Kafka;
  readonly #producer: Producer;
  readonly #connected: Promise<boolean>;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #inFlight = new Set<Kind>();
  readonly #failing = new Set<Kind>();
  readonly #batch: LogBatch | undefined;
  #counts: () => HeartbeatCounts = () => ({});
  /** The counter names in the order OpenMSIStream writes them. */
  readonly #names: readonly string[];
  #lastCounts: HeartbeatCounts = {};
  #stopped = false;
  /** Messages the broker acknowledged, by kind (for tests and the final log line). */
  readonly sent = { heartbeat: 0, log: 0 };

  /** `counters`: the names the heartbeats carry (zeros until the program's part that counts sets its totals). */
  constructor(settings: TelemetrySettings, kafka: Kafka, logger: Logger, counters: readonly string[] = []) {
    this.settings = settings;
    this.#names = counters;
    const zeros = Object.fromEntries(counters.map((name) => [name, 0]));
    this.#counts = () => zeros;
    this.#logger = logger;
    this.#batch = settings.log && new LogBatch(settings.log.maxMessages);
    this.#kafka = kafka;
    this.#producer = kafka.producer({ allowAutoTopicCreation: true });
    this.#connected = this.#connect();
    for (const [kind, ch] of this.#channels()) {
      const timer = setInterval(() => void this.#tick(kind, ch), ch.intervalMs);
      timer.unref();
      this.#timers.push(timer);
    }
  }

  /** The program's running totals, read at each heartbeat (OpenMSIStream's counter names). */
  setCounts(read: () => HeartbeatCounts): void {
    this.#counts = read;
    this.#lastCounts = {};
  }

  /** The pino stream entry that collects log lines for the log topic, or undefined without one. */
  logStream(): { level: string; stream: { write(entry: string): void } } | undefined {
    if (!this.#batch || !this.settings.log) return undefined;
    return { level: this.settings.log.level, stream: this.#batch };
  }

  /** Sends the last heartbeat and log batch, then disconnects; idempotent, bounded by `stopTimeoutMs`. */
  async stop(stopTimeoutMs = 5000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    const last = Promise.all(this.#channels().map(([kind, ch]) => this.#tick(kind, ch, true)));
    let timeout: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timeout = setTimeout(resolve, stopTimeoutMs)));
    await Promise.race([last, late]);
    clearTimeout(timeout);
    await this.#producer.disconnect().catch(() => undefined);
  }

  #channels(): Array<[Kind, TelemetryChannel]> {
    const out: Array<[Kind, TelemetryChannel]> = [];
    if (this.settings.heartbeat) out.push(['heartbeat', this.settings.heartbeat]);
    if (this.settings.log) out.push(['log', this.settings.log]);
    return out;
  }

  async #connect(): Promise<boolean> {
    try {
      await this.#producer.connect();
      // A broker that creates topics on demand gets them now, so the first send finds them.
      for (const [, ch] of this.#channels()) await ensureTopic(this.#kafka, ch.topic).catch(() => undefined);
    } catch (err) {
      this.#warn('heartbeat', err, 'cannot connect the telemetry producer');
      return false;
    }
    if (this.settings.heartbeat && !this.#stopped) void this.#tick('heartbeat', this.settings.heartbeat);
    return true;
  }

  /** One message of `kind`, unless the previous one is still in flight (then this tick is skipped). */
  async #tick(kind: Kind, ch: TelemetryChannel, last = false): Promise<void> {
    if (this.#inFlight.has(kind) && !last) return;
    const message = this.#next(kind, ch);
    if (!message) return;
    this.#inFlight.add(kind);
    try {
      if (!(await this.#connected)) return;
      await this.#producer.send({ topic: ch.topic, compression: compressionFromName(ch.compression), messages: [message] });
      this.sent[kind]++;
      if (this.#failing.delete(kind)) this.#logger.info({ topic: ch.topic }, `${kind} messages reach topic "${ch.topic}" again`);
    } catch (err) {
      this.#warn(kind, err, `cannot send a ${kind} message to topic "${ch.topic}"`);
    } finally {
      this.#inFlight.delete(kind);
    }
  }

  #next(kind: Kind, ch: TelemetryChannel): TelemetryMessage | undefined {
    if (kind === 'heartbeat') {
      const totals = inOrder(this.#counts(), this.#names);
      const message = heartbeatMessage(ch.programId, sinceLast(totals, this.#lastCounts), new Date());
      this.#lastCounts = totals;
      return message;
    }
    const { messages, dropped } = this.#batch!.take();
    if (dropped > 0) messages.unshift(`(${dropped} older log lines dropped: more than max.logs.per.message between two batches)`);
    return messages.length === 0 ? undefined : logBatchMessage(ch.programId, messages, Date.now());
  }

  #warn(kind: Kind, err: unknown, what: string): void {
    if (this.#failing.has(kind)) return;
    this.#failing.add(kind);
    this.#logger.warn({ code: errorCodeOf(err), err }, `${what}: ${(err as Error)?.message ?? String(err)} (the program goes on; said once until it works again)`);
  }
}

/** `counts` with the names in `order` first, in that order (Python's json.dumps keeps insertion order). */
function inOrder(counts: HeartbeatCounts, order: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of order) if (name in counts) out[name] = counts[name]!;
  return Object.assign(out, counts);
}
