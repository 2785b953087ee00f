/**
 * The local development broker without a build, for CI and test runners:
 *   node --import tsx scripts/broker.ts start|stop|status [--port N] [--data_dir DIR]
 * Same flags, output and exit codes as `datafile-stream broker` (lib/cli/commands/broker.ts).
 */
import { runBroker } from '../lib/cli/commands/broker.js';
import { quietKafkajsTimeoutWarning } from '../lib/cli/node-warnings.js';

quietKafkajsTimeoutWarning();
process.exitCode = await runBroker(process.argv.slice(2));
