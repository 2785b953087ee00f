// Copies the non-TypeScript files the built package reads at run time (help texts) into dist/.
import { cpSync, existsSync } from 'node:fs';
const from = new URL('../lib/cli/help/', import.meta.url);
const to = new URL('../dist/lib/cli/help/', import.meta.url);
if (existsSync(from)) cpSync(from, to, { recursive: true });
