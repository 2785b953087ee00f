/**
 * kafka-jars: the Apache Kafka broker's jars in a local cache directory, fetched through Maven
 * once and reused by every later start.
 *
 * In: the cache directory and the pinned versions. Out: the directory holding the jars (a
 * classpath of `<dir>/*`). When `<cacheDir>/libs/.complete` exists nothing runs, so a warm start
 * needs neither Maven nor the network.
 *
 * A fetch writes a pom naming the jars (broker-files.ts), runs
 * `mvn dependency:copy-dependencies` into a private temporary folder and renames that folder into
 * place, so two processes starting brokers at once never see a half-filled `libs/`: the loser of
 * the rename throws its copy away and uses the winner's.
 *
 * Errors: ERR_BROKER_MISSING_TOOL when mvn is absent (from java-tools.ts), ERR_BROKER_FETCH with
 * the tail of Maven's output when it fails.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { BrokerError } from '../errors.js';
import { renderPom } from './broker-files.js';
import { findMaven, lastLines, runTool } from './java-tools.js';

export interface KafkaJarsOptions {
  cacheDir: string;
  kafkaVersion: string;
  log4jVersion: string;
  logger?: Logger;
}

const COMPLETE_MARKER = '.complete';

export function kafkaLibDir(cacheDir: string): string {
  return join(cacheDir, 'libs');
}

export function hasKafkaJars(cacheDir: string): boolean {
  return existsSync(join(kafkaLibDir(cacheDir), COMPLETE_MARKER));
}

export async function ensureKafkaJars(options: KafkaJarsOptions): Promise<string> {
  const { cacheDir, logger } = options;
  const libDir = kafkaLibDir(cacheDir);
  if (hasKafkaJars(cacheDir)) return libDir;

  const mvn = await findMaven();
  await mkdir(cacheDir, { recursive: true });
  const pom = join(cacheDir, 'pom.xml');
  await writeFile(pom, renderPom(options));
  const staging = join(cacheDir, `libs.tmp-${process.pid}-${Date.now()}`);
  logger?.info({ cacheDir, kafkaVersion: options.kafkaVersion }, 'fetching Apache Kafka broker jars through Maven (first start only)');
  const started = Date.now();
  try {
    const args = ['-B', '--no-transfer-progress', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'];
    const result = await runTool(mvn, args, { cwd: cacheDir });
    if (result.code !== 0) {
      throw new BrokerError('ERR_BROKER_FETCH', `mvn could not fetch Kafka ${options.kafkaVersion} jars:\n${lastLines(result.output, 15)}`, { path: cacheDir });
    }
    const jars = (await readdir(staging)).filter((name) => name.endsWith('.jar'));
    if (!jars.some((name) => name.startsWith(`kafka_2.13-${options.kafkaVersion}`))) {
      throw new BrokerError('ERR_BROKER_FETCH', `mvn finished but kafka_2.13-${options.kafkaVersion}.jar is not among the ${jars.length} jars fetched`, {
        path: staging,
      });
    }
    await writeFile(join(staging, COMPLETE_MARKER), `${jars.sort().join('\n')}\n`);
    try {
      // A libs/ without the marker is a leftover of an older, interrupted layout: replace it.
      if (!hasKafkaJars(cacheDir)) await rm(libDir, { recursive: true, force: true });
      await rename(staging, libDir);
    } catch (err) {
      // Someone else's fetch finished first: theirs is as good as ours.
      if (!hasKafkaJars(cacheDir)) throw err;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  logger?.info({ cacheDir, seconds: (Date.now() - started) / 1000 }, 'Kafka broker jars ready');
  return libDir;
}
