/**
 * Forced crash points for fault testing: with `DATAFILE_STREAM_CRASH_AT=<point>[:<n>]` in the
 * environment, the process kills itself with SIGKILL the n-th time (default 1st) it passes
 * `crashPoint('<point>')`. Points: after-buffer, after-staging-write, before-rename,
 * after-rename, in-processing, after-processing, after-registry, after-commit.
 * Without the variable this is one comparison per call.
 */
const spec = process.env.DATAFILE_STREAM_CRASH_AT;
const [target, nth] = spec ? [spec.split(':')[0], Number(spec.split(':')[1] ?? 1)] : [undefined, 0];
let hits = 0;

export function crashPoint(name: string): void {
  if (target !== name) return;
  hits++;
  if (hits >= nth) process.kill(process.pid, 'SIGKILL');
}
