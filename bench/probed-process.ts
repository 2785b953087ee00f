/**
 * ProbedProcess: one program under measurement, as a child process whose memory is sampled from
 * /proc and whose output lines are watched for the events that end a measurement.
 *
 * In: a command, arguments and a line listener. Out: `peakRssBytes` (the kernel's own high-water
 * mark, VmHWM, read every `sampleMs`; VmRSS sampled alongside as a fallback), `cpuSeconds` (user +
 * system time from /proc/<pid>/stat: on a shared machine a steadier figure than wall time), the
 * exit code, and the last lines of output for error messages.
 * Timing is the caller's: it takes `startedAt` (just before spawn) and its own end event.
 * Teardown: `quit()` types `q` + Enter (how OpenMSIStream's programs and ours stop), `kill()`
 * sends SIGKILL to this one child; nothing else is ever signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface ProbedOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with every complete line of stdout or stderr and the time it was read (ms, performance.now()). */
  onLine?: (line: string, at: number) => void;
  sampleMs?: number;
}

const TAIL_LINES = 60;
/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux). */
const CLOCK_TICKS = 100;

export class ProbedProcess {
  readonly label: string;
  readonly child: ChildProcess;
  readonly startedAt: number;
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined = undefined;
  #peakHwm = 0;
  #peakRss = 0;
  #cpuTicks = 0;
  /** VmRSS over time: [ms since start, bytes], one per sample. */
  readonly #rssSeries: Array<[number, number]> = [];
  #tail: string[] = [];
  #timer: NodeJS.Timeout;

  constructor(label: string, command: string, args: string[], options: ProbedOptions = {}) {
    this.label = label;
    this.startedAt = performance.now();
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin!.on('error', () => undefined); // EPIPE after the program quit
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        const at = performance.now();
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.#line(line, at, options.onLine);
      });
      stream.on('end', () => {
        if (partial !== '') this.#line(partial, performance.now(), options.onLine);
      });
    }
    this.#timer = setInterval(() => this.sample(), options.sampleMs ?? 100);
    this.sample();
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.#tail.push(`[spawn error] ${err.message}`);
        this.exitCode = null;
        clearInterval(this.#timer);
        resolve(null);
      });
      this.child.on('close', (code, signal) => {
        clearInterval(this.#timer);
        this.exitCode = code;
        if (signal) this.#tail.push(`[killed by ${signal}]`);
        resolve(code);
      });
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Peak resident set size seen so far, in bytes (VmHWM, or the highest sampled VmRSS). */
  get peakRssBytes(): number {
    return Math.max(this.#peakHwm, this.#peakRss);
  }

  /** VmRSS samples up to `untilMs` after start, thinned to `points` evenly spaced ones. */
  rssTimeline(untilMs: number, points = 10): Array<{ atSeconds: number; rssMiB: number }> {
    const series = this.#rssSeries.filter(([t]) => t <= untilMs);
    const out: Array<{ atSeconds: number; rssMiB: number }> = [];
    for (let i = 1; i <= points && series.length > 0; i++) {
      const [t, bytes] = series[Math.min(series.length - 1, Math.round((i / points) * (series.length - 1)))]!;
      out.push({ atSeconds: Math.round(t / 100) / 10, rssMiB: Math.round(bytes / 1048576) });
    }
    return out;
  }

  /** CPU seconds (user + system, all threads) the process had used at the last sample. */
  get cpuSeconds(): number {
    return this.#cpuTicks / CLOCK_TICKS;
  }

  /** Reads /proc/<pid>/status and stat once; a process that is gone keeps its last figures. */
  sample(): void {
    const pid = this.child.pid;
    if (pid === undefined || !this.running) return;
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
      // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      this.#cpuTicks = Math.max(this.#cpuTicks, Number(fields[11]) + Number(fields[12]));
    } catch {
      return;
    }
    const hwm = kib(status, 'VmHWM');
    const rss = kib(status, 'VmRSS');
    if (hwm !== undefined) this.#peakHwm = Math.max(this.#peakHwm, hwm * 1024);
    if (rss !== undefined) {
      this.#peakRss = Math.max(this.#peakRss, rss * 1024);
      this.#rssSeries.push([performance.now() - this.startedAt, rss * 1024]);
    }
  }

  quit(): void {
    this.sample();
    if (this.running && this.child.stdin!.writable) this.child.stdin!.write('q\n');
  }

  kill(): void {
    if (this.running && this.child.pid !== undefined) this.child.kill('SIGKILL');
  }

  tail(lines = 25): string {
    return this.#tail.slice(-lines).join('\n');
  }

  /** Waits for the exit; kills the child and throws after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.kill();
      await this.exited;
      throw new Error(`${this.label} did not exit within ${Math.round(timeoutMs / 1000)} s; last output:\n${this.tail()}`);
    }
    return result;
  }

  #line(line: string, at: number, onLine: ProbedOptions['onLine']): void {
    this.#tail.push(line.length > 2000 ? `${line.slice(0, 2000)}...` : line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    onLine?.(line, at);
  }
}

function kib(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : undefined;
}
