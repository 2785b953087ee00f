/**
 * `datafile-stream monitor --heartbeat_topic T`: follows a heartbeat topic (lib/telemetry's
 * HeartbeatBoard) and shows a live table on a TTY or prints JSON lines otherwise (see
 * help/monitor.txt). It consumes in a fresh group without committing, so it never moves anyone's
 * offsets; it stops on SIGINT/SIGTERM (exit 128+n) or after --until_idle quiet seconds (exit 0).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { EXIT_STATUS_HELP, exitCodeOfRun } from '../../exit-codes.js';
import { nonNegativeSeconds, positiveSeconds, topicName } from '../../config/option-values.js';
import { createLogger } from '../../log/create-logger.js';
import { kafkaFromConfig } from '../../kafka/kafka-from-config.js';
import { HeartbeatBoard, type HeartbeatRow } from '../../telemetry/heartbeat-board.js';
import { heartbeatTable } from '../../telemetry/heartbeat-table.js';
import { ArgumentParser, LOGGER_STREAM_LEVEL_ARGUMENT, type ParsedArguments } from '../../programs/runnable.js';
import { KAFKA_ARGUMENTS } from '../../programs/kafka-arguments.js';
import { readHelp } from '../read-help.js';

export const monitorParser = new ArgumentParser(
  [
    { name: 'heartbeat_topic', type: 'string', required: true, check: topicName, alias: ['heartbeat_topic_name'], help: 'the heartbeat topic to read' },
    ...KAFKA_ARGUMENTS.filter((a) => a.name !== 'topic_name'),
    { name: 'silent_after', type: 'number', default: 1800, check: positiveSeconds, help: 'mark a program SILENT when nothing came from it for this many seconds (OpenMSIStream sends every 900 s by default)' },
    { name: 'refresh', type: 'number', default: 1, check: positiveSeconds, help: 'seconds between redraws of the table, and between silence checks' },
    { name: 'from_end', type: 'boolean', default: false, help: 'only heartbeats sent from now on (default: the whole topic)' },
    { name: 'until_idle', type: 'number', check: nonNegativeSeconds, help: 'stop once no heartbeat came for this many seconds' },
    LOGGER_STREAM_LEVEL_ARGUMENT,
  ],
  `${readHelp('monitor').trimEnd()}\n\n${EXIT_STATUS_HELP}`,
);

export async function run(argv: string[]): Promise<number> {
  const args = monitorParser.parse(argv);
  if (args.help) {
    process.stdout.write(monitorParser.help());
    return 0;
  }
  const logger = createLogger({ name: 'monitor', streamLevel: String(args.logger_stream_level) });
  const stop = new AbortController();
  let stoppedBy: string | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    stoppedBy = signal;
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await follow(args, logger, stop);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exitCodeOfRun({ stoppedBy, failures: 0 });
}

async function follow(args: ParsedArguments, logger: Logger, stop: AbortController): Promise<void> {
  const topic = String(args.heartbeat_topic);
  const setup = kafkaFromConfig(String(args.config), 'consumer', logger, { engine: args.kafka_engine as string | undefined, allowPlaintext: args.allow_plaintext === true });
  const board = new HeartbeatBoard(Number(args.silent_after) * 1000);
  const out = process.stdout.isTTY ? tableOutput(board, topic) : jsonOutput(board);
  const consumer = setup.kafka.consumer({ groupId: `datafile-stream-monitor-${randomBytes(6).toString('hex')}` });
  let lastHeard = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: args.from_end !== true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        lastHeard = Date.now();
        const row = board.add(message.key?.toString('utf8'), message.value);
        if (row) out.heartbeat(row);
      },
    });
    const untilIdleMs = args.until_idle === undefined ? undefined : Number(args.until_idle) * 1000;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        out.tick(Date.now());
        if (untilIdleMs !== undefined && Date.now() - lastHeard >= untilIdleMs) stop.abort();
      }, Number(args.refresh) * 1000);
      stop.signal.addEventListener('abort', () => {
        clearInterval(tick);
        resolve();
      }, { once: true });
    });
    out.tick(Date.now());
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  if (board.ignored > 0) logger.info({ ignored: board.ignored }, 'records that are not heartbeats were skipped');
}

interface MonitorOutput {
  heartbeat(row: HeartbeatRow): void;
  tick(nowMs: number): void;
}

/** The table, redrawn in place (cursor home, clear screen) on every tick. */
function tableOutput(board: HeartbeatBoard, topic: string): MonitorOutput {
  return {
    heartbeat: () => undefined,
    tick: (nowMs) => void process.stdout.write(`\x1b[H\x1b[2J${heartbeatTable(board.rows(nowMs), nowMs, topic)}`),
  };
}

/** One JSON line per heartbeat, and one when a program goes silent (once per silence). */
function jsonOutput(board: HeartbeatBoard): MonitorOutput {
  const silent = new Set<string>();
  const write = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
  return {
    heartbeat: (row) => {
      silent.delete(row.programId);
      write({ event: 'heartbeat', program_id: row.programId, timestamp: new Date(row.lastSeenMs).toISOString(), heartbeats: row.heartbeats, counters: row.counters, rates: row.rates });
    },
    tick: (nowMs) => {
      for (const row of board.rows(nowMs)) {
        if (!row.silent || silent.has(row.programId)) continue;
        silent.add(row.programId);
        write({ event: 'silent', program_id: row.programId, last_seen: new Date(row.lastSeenMs).toISOString(), silent_for_s: Math.round((nowMs - row.lastSeenMs) / 1000) });
      }
    },
  };
}
