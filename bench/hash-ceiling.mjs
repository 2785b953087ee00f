/**
 * The hashing ceiling of the benchmark: what verifying a corpus costs on one core with Node's
 * SHA-512, i.e. every chunk hashed once (chunk_hash) and every file hashed once (file_hash),
 * over the same bytes, exactly the two passes a consumer must make.
 *
 * Usage: node bench/hash-ceiling.mjs <corpus dir> <chunk size>   (file list from .manifest.json)
 * Only the hashing is timed (reads come from the page cache and are excluded). Prints one JSON
 * line `{"event":"done","hashMs":n,"bytes":n,"files":n,"mismatches":n}`; a file whose hash does
 * not match the manifest is counted, so the ceiling is known to have hashed the real bytes.
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const [dir, chunkText] = process.argv.slice(2);
const chunkSize = Number(chunkText);
if (!dir || !Number.isInteger(chunkSize) || chunkSize < 1) {
  process.stderr.write('usage: node bench/hash-ceiling.mjs <corpus dir> <chunk size>\n');
  process.exit(2);
}
const manifest = JSON.parse(await readFile(join(dir, '.manifest.json'), 'utf8'));
const buffer = Buffer.allocUnsafe(chunkSize);
let hashMs = 0;
let bytes = 0;
let mismatches = 0;
for (const file of manifest.files) {
  const handle = await open(join(dir, file.relPath), 'r');
  try {
    const fileHash = createHash('sha512');
    for (let offset = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, chunkSize, offset);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      const t0 = performance.now();
      createHash('sha512').update(chunk).digest();
      fileHash.update(chunk);
      hashMs += performance.now() - t0;
      offset += bytesRead;
      bytes += bytesRead;
    }
    const t0 = performance.now();
    const digest = fileHash.digest('hex');
    hashMs += performance.now() - t0;
    if (digest !== file.sha512) mismatches++;
  } finally {
    await handle.close();
  }
}
process.stdout.write(`${JSON.stringify({ event: 'done', hashMs, bytes, files: manifest.files.length, mismatches })}\n`);
