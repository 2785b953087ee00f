/**
 * java-tools: finding `java` and `mvn` and running them to completion.
 *
 * In: a tool name (java honours $JAVA_HOME). Out: the command to run, after one probe that it
 * runs at all and, for java, that it is Java 17 or newer (Kafka 4 brokers need 17).
 * `runTool` runs a command with output captured; only the last 64 KiB are kept, so a chatty
 * Maven or Kafka tool cannot grow memory, and the tail is what an error message needs anyway.
 *
 * Errors: BrokerError ERR_BROKER_MISSING_TOOL, one line that says what to install.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BrokerError } from '../errors.js';

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The tail of stdout and stderr, interleaved as they arrived. */
  output: string;
}

const OUTPUT_LIMIT = 64 * 1024;

export function runTool(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (data: Buffer): void => {
      output += data.toString('utf8');
      if (output.length > OUTPUT_LIMIT * 2) output = output.slice(-OUTPUT_LIMIT);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, output: output.slice(-OUTPUT_LIMIT) }));
  });
}

/** The last `count` non-empty lines of `text`. */
export function lastLines(text: string, count: number): string {
  return text.split('\n').filter((line) => line.trim() !== '').slice(-count).join('\n');
}

const INSTALL_JAVA = 'install a Java 17+ runtime (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME';
const INSTALL_MAVEN = 'install Apache Maven (Debian/Ubuntu: apt-get install maven)';

async function probe(command: string, args: string[], tool: string, hint: string): Promise<string> {
  try {
    const result = await runTool(command, args);
    if (result.code !== 0) throw new Error(lastLines(result.output, 1));
    return result.output;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `does not run (${(err as Error).message})`;
    throw new BrokerError('ERR_BROKER_MISSING_TOOL', `${tool} ${why}: ${hint}`, { tool, command }, err);
  }
}

/** The java command to use, checked to be Java 17 or newer. */
export async function findJava(): Promise<string> {
  const home = process.env.JAVA_HOME;
  const command = home ? join(home, 'bin', 'java') : 'java';
  const output = await probe(command, ['-version'], 'java', INSTALL_JAVA);
  // `openjdk version "17.0.15"`, `java version "1.8.0_392"`, `openjdk version "25" 2025-09-16`
  const match = /version "(?:1\.)?(\d+)/.exec(output);
  const major = match ? Number(match[1]) : NaN;
  if (!(major >= 17)) {
    throw new BrokerError('ERR_BROKER_MISSING_TOOL', `java at ${command} is ${match ? `Java ${major}` : 'of unknown version'}: ${INSTALL_JAVA}`, {
      tool: 'java',
      command,
    });
  }
  return command;
}

/** The mvn command to use, checked to run. */
export async function findMaven(): Promise<string> {
  await probe('mvn', ['-v'], 'mvn', INSTALL_MAVEN);
  return 'mvn';
}
