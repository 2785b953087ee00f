/** `datafile-stream reproduce`: its help, and modules refused before anything connects. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { run } from '../../../lib/cli/commands/reproduce.js';
import { tempDir } from '../../support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const lib = (path: string): string => pathToFileURL(join(ROOT, 'lib', path)).href;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/datafile-stream.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('reproduce --help names the command, the producer topic and OpenMSIStream\'s consumer topic flag', async () => {
  const r = await cli(['reproduce', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Usage: datafile-stream reproduce <module>/);
  assert.match(r.stdout, /--producer_topic_name/);
  assert.match(r.stdout, /consumer_topic_name/);
  assert.match(r.stdout, /--retry_failed/);
  assert.match((await cli(['--help'])).stdout, /reproduce <module>/);
});

test('a processor that is not a reproducer, or a reproducer without its method, is refused', async (t) => {
  const dir = await tempDir(t, 'dfs-reproduce-cli-');
  const processor = join(dir, 'processor.mjs');
  await writeFile(processor, `import { DataFileStreamProcessor } from '${lib('programs/data-file-stream-processor.ts')}';\nexport default class P extends DataFileStreamProcessor { async processDownloadedDataFile() {} }\n`);
  await assert.rejects(run([processor]), { code: 'ERR_PROCESSOR_INVALID', message: /not a DataFileStreamReproducer.*datafile-stream process/ });
  const noMethod = join(dir, 'no-method.mjs');
  await writeFile(noMethod, `import { MetadataJSONReproducer } from '${lib('programs/metadata-json-reproducer.ts')}';\nexport default class M extends MetadataJSONReproducer {}\n`);
  await assert.rejects(run([noMethod]), { code: 'ERR_PROCESSOR_INVALID', method: 'getMetadataDictForFile' });
  const r = await cli(['reproduce', processor]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ERR_PROCESSOR_INVALID/);
});

test('a reproducer run without --producer_topic_name is a usage error', async (t) => {
  const dir = await tempDir(t, 'dfs-reproduce-cli-');
  const module = join(dir, 'repro.mjs');
  await writeFile(module, `import { DataFileStreamReproducer } from '${lib('programs/data-file-stream-reproducer.ts')}';\nexport default class R extends DataFileStreamReproducer { getProcessingResultMessageForFile(f) { return f.filename; } }\n`);
  const r = await cli(['reproduce', module, '--topic_name', 'x', '--output_dir', join(dir, 'out')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /producer_topic_name/);
});
