/**
 * `datafile-stream broker start|stop|status`: a shell over lib/broker/local-kafka.ts.
 *
 * In: argv after the word `broker`. Out: one human line (or `--json`, one object) on stdout;
 * progress such as the first jar fetch goes to the logger on stderr. Exit codes: 0 done (for
 * `status`: a broker answers), 1 error or usage mistake (message on stderr, with its code),
 * 3 `status` found no broker. Errors are reported here rather than thrown, so scripts/broker.ts
 * gets the same output and exit codes as the bin.
 */
import { errorCodeOf } from '../../errors.js';
import { brokerStatus, startBroker, stopBroker, type LocalBrokerOptions, type StartBrokerResult } from '../../broker/local-kafka.js';
import { createLogger } from '../../log/create-logger.js';
import { parseArgs, type ParsedArgs } from '../../config/parse-args.js';
import { readHelp } from '../read-help.js';
import { checkBrokerSecurity, PASSWORD_VAR, USERNAME_VAR } from '../../broker/broker-security.js';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_NOT_RUNNING = 3;

export interface BrokerCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const ACTIONS = new Set(['start', 'stop', 'status']);

type Print = (value: object, line: string) => void;

function brokerOptions(args: ParsedArgs): LocalBrokerOptions {
  return {
    ...(args.security !== undefined && { security: checkBrokerSecurity(args.security) }),
    ...(args.port !== undefined && { port: args.port as number }),
    ...(args.controller_port !== undefined && { controllerPort: args.controller_port as number }),
    ...(args.data_dir && { dataDir: args.data_dir as string }),
    ...(args.cache_dir && { cacheDir: args.cache_dir as string }),
    ...(args.timeout !== undefined && { startTimeoutMs: (args.timeout as number) * 1000 }),
    logger: createLogger({ name: 'broker', streamLevel: 'info' }),
  };
}

async function start(options: LocalBrokerOptions, print: Print): Promise<number> {
  const r = await startBroker(options);
  const who = r.pid !== undefined ? `pid ${r.pid}` : `not started from ${r.dataDir}`;
  const listener = r.security === 'sasl_ssl' ? ' (SASL_SSL)' : '';
  const line = r.alreadyRunning
    ? `A Kafka broker already answers on 127.0.0.1:${r.port}${listener}; reusing it (${who}).`
    : `Kafka ${r.version} is up on 127.0.0.1:${r.port}${listener} (pid ${r.pid}, data ${r.dataDir}, log ${r.logFile}).`;
  print(r, r.client === undefined ? line : `${line}\n${clientHint(r.client)}`);
  return EXIT_OK;
}

/** Where a secured broker's client files are; the password stays in the env file, never on screen. */
function clientHint(client: NonNullable<StartBrokerResult['client']>): string {
  return [
    `Client config (SASL SCRAM-SHA-512 over TLS): ${client.configFiles['SCRAM-SHA-512']}`,
    `  with SASL PLAIN instead: ${client.configFiles.PLAIN}`,
    `  CA certificate (ssl.ca.location): ${client.caFile}`,
    `Its sasl.username/sasl.password are $${USERNAME_VAR}/$${PASSWORD_VAR}; set them with:`,
    `  set -a; . ${client.envFile}; set +a`,
  ].join('\n');
}

async function stop(options: LocalBrokerOptions, print: Print): Promise<number> {
  const r = await stopBroker(options);
  if (r.stopped) {
    print(r, `Stopped the Kafka broker on 127.0.0.1:${r.port} (pid ${r.pid}, data ${r.dataDir}${r.forced ? ', killed after SIGTERM timed out' : ''}).`);
    return EXIT_OK;
  }
  if (r.reason === 'not-running') {
    print(r, `No Kafka broker is running on 127.0.0.1:${r.port}; nothing to stop.`);
    return EXIT_OK;
  }
  print(r, `What answers on 127.0.0.1:${r.port} was not started from this data dir; not stopping it (try --data_dir).`);
  return EXIT_ERROR;
}

async function status(options: LocalBrokerOptions, print: Print): Promise<number> {
  const s = await brokerStatus(options);
  const where = `data ${s.dataDir}, Kafka ${s.version}${s.jarsCached ? '' : ', jars not fetched yet'}`;
  if (s.running) {
    print(s, `running: Kafka broker on 127.0.0.1:${s.port} (${s.pid !== undefined ? `pid ${s.pid}` : 'not started from this data dir'}; ${where})`);
    return EXIT_OK;
  }
  const why = s.listening === 'other' ? 'the port is taken by something that is not Kafka' : 'nothing answers';
  print(s, `not running: ${why} on 127.0.0.1:${s.port} (${s.pid !== undefined ? `pid ${s.pid} is alive but not answering; ` : ''}${where})`);
  return EXIT_NOT_RUNNING;
}

const RUN = { start, stop, status } as const;

export async function runBroker(argv: string[], io: BrokerCommandIo = process): Promise<number> {
  try {
    const args = parseArgs(argv, {
      string: ['data_dir', 'cache_dir', 'security'],
      number: ['port', 'controller_port', 'timeout'],
      boolean: ['json'],
    });
    if (args.help) {
      io.stdout.write(readHelp('broker'));
      return EXIT_OK;
    }
    const [action, ...extra] = args._.map(String);
    if (action === undefined || !ACTIONS.has(action) || extra.length > 0) {
      io.stderr.write(`datafile-stream broker: expected start, stop or status${action ? `, got "${[action, ...extra].join(' ')}"` : ''}\n\n`);
      io.stderr.write(readHelp('broker'));
      return EXIT_ERROR;
    }
    const print: Print = (value, line) => {
      io.stdout.write(args.json ? `${JSON.stringify(value)}\n` : `${line}\n`);
    };
    return await RUN[action as keyof typeof RUN](brokerOptions(args), print);
  } catch (err) {
    io.stderr.write(`datafile-stream broker: ${errorCodeOf(err)}: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT_ERROR;
  }
}
