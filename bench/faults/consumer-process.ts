/**
 * One run of the real program as a child process (`datafile-stream process <fault-processor>`
 * through tsx, no build needed), with its stderr (JSON log lines) kept for the oracle and the
 * means to inject process faults: SIGKILL, SIGSTOP/SIGCONT, SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
export const FAULT_PROCESSOR = join(root, 'bench/faults/fault-processor.ts');
const BIN = join(root, 'bin/datafile-stream.ts');

export interface ConsumerArgs {
  /** The subcommand and its module; default `process` with fault-processor.ts. */
  command?: string[];
  config: string;
  topic: string;
  group: string;
  outputDir: string;
  mode?: 'memory' | 'disk' | 'both';
  untilIdle?: number;
  nThreads?: number;
  processTimeout?: number;
  maxAttempts?: number;
  retryFailed?: boolean;
  extra?: string[];
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

export function processArgs(a: ConsumerArgs): string[] {
  return [
    ...(a.command ?? ['process', FAULT_PROCESSOR]),
    '--config', a.config,
    '--topic_name', a.topic,
    '--consumer_group_id', a.group,
    '--output_dir', a.outputDir,
    '--mode', a.mode ?? 'disk',
    '--n_threads', String(a.nThreads ?? 2),
    '--logger_stream_level', 'info',
    ...(a.untilIdle !== undefined ? ['--until_idle', String(a.untilIdle)] : []),
    ...(a.processTimeout !== undefined ? ['--process_timeout', String(a.processTimeout)] : []),
    ...(a.maxAttempts !== undefined ? ['--max_attempts', String(a.maxAttempts)] : []),
    ...(a.retryFailed ? ['--retry_failed'] : []),
    ...(a.extra ?? []),
  ];
}

export interface LogLine {
  level?: number;
  msg?: string;
  code?: string;
  [key: string]: unknown;
}

export class ProgramRun {
  readonly child: ChildProcess;
  readonly exited: Promise<ProcessExit>;
  readonly lines: LogLine[] = [];
  #text = '';
  #stopped = false;

  /** `logFile` gets every stderr line (kept in the harness directory for post-mortems). */
  constructor(args: string[], env: Record<string, string>, logFile: string, timeoutMs = 300_000) {
    const started = Date.now();
    this.child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    appendFileSync(logFile, `--- pid ${this.child.pid} ${new Date().toISOString()} ${args.join(' ')}\n`);
    const onData = (d: Buffer): void => {
      appendFileSync(logFile, d);
      this.#text += d.toString();
      let nl: number;
      while ((nl = this.#text.indexOf('\n')) >= 0) {
        const line = this.#text.slice(0, nl);
        this.#text = this.#text.slice(nl + 1);
        if (!line.startsWith('{')) {
          this.lines.push({ msg: line });
          continue;
        }
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: line });
        }
      }
    };
    this.child.stderr!.on('data', onData);
    this.child.stdout!.on('data', onData);
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, ms: Date.now() - started });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (signal === 'SIGSTOP') this.#stopped = true;
    if (signal === 'SIGCONT') this.#stopped = false;
    this.child.kill(signal);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Log lines carrying `code`. */
  withCode(code: string): LogLine[] {
    return this.lines.filter((l) => l.code === code);
  }

  count(msg: string | RegExp): number {
    return this.lines.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg ?? '')))).length;
  }
}

export function runConsumer(a: ConsumerArgs, env: Record<string, string>, logFile: string, timeoutMs?: number): ProgramRun {
  return new ProgramRun(processArgs(a), env, logFile, timeoutMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
