/** The `--help` text of a subcommand, from lib/cli/help/<name>.txt (copied beside dist by the build). */
import { readFileSync } from 'node:fs';

export function readHelp(name: string): string {
  return readFileSync(new URL(`./help/${name}.txt`, import.meta.url), 'utf8');
}
