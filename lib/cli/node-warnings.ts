/**
 * Node's process warnings, as the programs print them: every warning as Node prints it, except
 * one that kafkajs 2.2.4 causes on Node >= 24 and that says nothing to a user. kafkajs schedules
 * its pending-request check `throttledUntil - Date.now()` ms ahead with `throttledUntil` at -1, a
 * negative delay that every Node line runs as 1 ms; Node 24 also prints a TimeoutNegativeWarning
 * for it on every client connect (kafkajs issue 1751). Only warnings whose stack passes through
 * kafkajs's request queue are dropped, so a negative timeout of our own still shows.
 *
 * Programs only (lib/cli/main.ts calls it): a library must not take over its host's warnings.
 */
export function quietKafkajsTimeoutWarning(): void {
  const defaults = process.listeners('warning');
  if (defaults.length === 0) return; // --no-warnings: nothing is printed anyway
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error) => {
    if (isKafkajsNegativeTimeout(warning)) return;
    for (const listener of defaults) (listener as (w: Error) => void)(warning);
  });
}

export function isKafkajsNegativeTimeout(warning: Error): boolean {
  return warning.name === 'TimeoutNegativeWarning' && /kafkajs[\\/]src[\\/]network[\\/]requestQueue/.test(warning.stack ?? '');
}
