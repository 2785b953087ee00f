/**
 * DataFileStreamProcessor's options: its flags default to the stages' own defaults and refuse with
 * the stages' own checks, and the consumer group comes from the config unless one is given.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataFileStreamProcessor } from '../../lib/programs/data-file-stream-processor.js';
import { PROCESS_TRANSFORM_DEFAULTS } from '../../lib/processing/process-transform-options.js';
import { MEBIBYTE, MEMORY_BUFFER_DEFAULTS } from '../../lib/sinks/memory-buffer-options.js';
import { ProcessTransform } from '../../lib/processing/process-transform.js';
import { silent } from '../support/silent-logger.js';
import { tempDir } from '../support/temp-dir.js';

class Noop extends DataFileStreamProcessor {
  async processDownloadedDataFile(): Promise<undefined> {
    return undefined;
  }
}

async function config(dir: string, name: string, consumer: string): Promise<string> {
  const path = join(dir, `${name}.config`);
  await writeFile(path, `[broker]\nbootstrap.servers = 127.0.0.1:9092\n\n[consumer]\n${consumer}\n`);
  return path;
}

test("the consumer group is the config's group.id unless one is given, and create_new without either", async (t) => {
  const dir = await tempDir(t);
  const withGroup = await config(dir, 'with-group', 'group.id = lab-group');
  const without = await config(dir, 'without', 'auto.offset.reset = earliest');
  const base = { outputDir: join(dir, 'out'), loggerStreamLevel: 'silent' };
  assert.equal(new Noop({ ...base, config: withGroup }).options.consumerGroupId, 'lab-group');
  assert.equal(new Noop({ ...base, config: withGroup, consumerGroupId: 'mine' }).options.consumerGroupId, 'mine');
  assert.equal(new Noop({ ...base, config: without }).options.consumerGroupId, 'create_new');
  const parser = Noop.getArgumentParser();
  assert.equal(new Noop(parser.parse(['--config', withGroup, '--output_dir', base.outputDir, '--logger_stream_level', 'silent'])).options.consumerGroupId, 'lab-group');
  assert.equal(new Noop(parser.parse(['--config', withGroup, '--output_dir', base.outputDir, '--logger_stream_level', 'silent', '--consumer_group_id', 'flag'])).options.consumerGroupId, 'flag');
});

test("the flags default to the stages' defaults, and the library entry gets the same values", async (t) => {
  const dir = await tempDir(t);
  const args = Noop.getArgumentParser().parse([]);
  assert.equal(args.n_threads, PROCESS_TRANSFORM_DEFAULTS.nThreads);
  assert.equal(args.max_attempts, PROCESS_TRANSFORM_DEFAULTS.maxAttempts);
  assert.equal(args.memory_budget, MEMORY_BUFFER_DEFAULTS.maxBytes / MEBIBYTE);
  const o = new Noop({ outputDir: join(dir, 'out'), consumerGroupId: 'g', loggerStreamLevel: 'silent' }).options;
  assert.deepEqual([o.nThreads, o.maxAttempts, o.memoryBudgetMb * MEBIBYTE], [PROCESS_TRANSFORM_DEFAULTS.nThreads, PROCESS_TRANSFORM_DEFAULTS.maxAttempts, MEMORY_BUFFER_DEFAULTS.maxBytes]);
});

test('--n_threads 0, nThreads: 0 and the ProcessTransform itself are refused with one code', async (t) => {
  const dir = await tempDir(t);
  const codeOf = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return 'accepted';
  };
  const codes = [
    codeOf(() => Noop.getArgumentParser().parse(['--n_threads', '0'])),
    codeOf(() => new Noop({ outputDir: join(dir, 'out'), consumerGroupId: 'g', nThreads: 0 })),
    codeOf(() => new ProcessTransform({ logger: silent, process: async () => undefined, nThreads: 0 })),
    codeOf(() => Noop.getArgumentParser().parse(['--memory_budget', '0'])),
    codeOf(() => new Noop({ outputDir: join(dir, 'out'), consumerGroupId: 'g', memoryBudgetMb: 0 })),
  ];
  assert.deepEqual(codes, Array(codes.length).fill('ERR_INVALID_OPTION'));
});
