/**
 * The exit status of every program, in one place (documented in the README and `--help`):
 *
 *   0    everything read was handled and nothing failed
 *   1    could not run: config, connection, start-up check or an unexpected error
 *   2    usage error: an unknown or invalid option or argument
 *   4    ran to its end, but files failed, were mismatched, or records were rejected in this run
 *   128+n  stopped by signal n (SIGINT 130, SIGTERM 143), after a graceful stop or a forced one
 *
 * (`broker status` alone also answers 3: no broker is running.) On the ground floor, because the
 * programs (lib/programs) and the CLI both decide exit codes with it.
 */
import { constants } from 'node:os';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_FILES_FAILED = 4;

/** 128 + the signal's number, as shells report a process a signal ended; undefined for other reasons. */
export function exitCodeForSignal(reason: string | undefined): number | undefined {
  if (reason === undefined || !reason.startsWith('SIG')) return undefined;
  const n = (constants.signals as Record<string, number | undefined>)[reason];
  return n === undefined ? undefined : 128 + n;
}

/** A finished run's status: a signal's code first, then failures, else 0. */
export function exitCodeOfRun(run: { stoppedBy?: string | undefined; failures: number }): number {
  return exitCodeForSignal(run.stoppedBy) ?? (run.failures > 0 ? EXIT_FILES_FAILED : EXIT_OK);
}

/** The exit-status paragraph of every program's --help. */
export const EXIT_STATUS_HELP =
  'Exit status: 0 all handled, 1 could not run, 2 usage error, 4 files failed, were mismatched or records were rejected, 128+n stopped by signal n (a second Ctrl-C exits at once).';
