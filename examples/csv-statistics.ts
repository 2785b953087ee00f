// An example processor: prints a one-line summary of every CSV measurement file on a topic.
//   datafile-stream process examples/csv-statistics.ts --topic_name T --consumer_group_id G
// or, as a module of its own:  node --import tsx examples/csv-statistics.ts --topic_name T ...
// (an ES module: this repository's package.json says "type": "module"; tsx is a devDependency)
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { DataFileStreamProcessor, type DownloadDataFile, type Lock } from 'datafile-stream';

export default class CsvStatistics extends DataFileStreamProcessor {
  async processDownloadedDataFile(file: DownloadDataFile, lock: Lock): Promise<Error | undefined> {
    if (!file.filename.endsWith('.csv')) return undefined;
    const rows = parse(await file.read(), { columns: true, cast: true }) as Array<Record<string, number>>;
    const columns = Object.keys(rows[0] ?? {});
    const last = columns.at(-1) ?? '';
    const values = rows.map((row) => row[last]!).filter(Number.isFinite);
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    const line = `${file.relativeFilepath}: ${rows.length} rows of ${columns.join(', ')}; ${last} from ${Math.min(...values).toFixed(3)} to ${Math.max(...values).toFixed(3)}, mean ${mean.toFixed(3)}`;
    await lock.runExclusive(() => process.stdout.write(`${line}\n`)); // one file's line at a time
    return undefined;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await CsvStatistics.runFromCommandLine();
}
