// An app that composes the consumer pipeline itself: only the .csv files are processed (a
// stream-chain function stage), each one's line count is printed, and Ctrl-C / SIGTERM stops it
// gracefully (the files in processing finish, the last commit is made, then it exits).
//   node --import tsx examples/compose-pipeline.ts TOPIC GROUP OUTPUT_DIR
import { pipeline } from 'node:stream/promises';
import chain from 'stream-chain';
import { createConsumerPipeline, createLogger, fileStage, type ReadyFile } from 'datafile-stream';

const [topic = 'test', groupId = 'compose-example', outputDir = 'compose_output'] = process.argv.slice(2);
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

const p = await createConsumerPipeline({
  config: 'local', topic, groupId, outputDir, mode: 'memory', logger: createLogger({ streamLevel: 'warning' }), signal: stop.signal,
  // Skipped files are recorded as `skipped` in the registry and committed, like processed ones.
  stages: [chain([fileStage((f: ReadyFile) => (f.ref.relativePath.endsWith('.csv') ? f : undefined))])],
  process: async (file) => {
    const lines = (await file.read()).toString('utf8').split('\n').filter(Boolean).length;
    process.stdout.write(`${file.relativeFilepath}: ${lines} lines\n`);
  },
});
await pipeline(p.stages);
process.stdout.write(`stopped (${p.stoppedBy})\n`);
