#!/usr/bin/env node
// Shim: all behaviour lives in lib/cli/main.ts.
import { main } from '../lib/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`datafile-stream: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
