/** The result key is OpenMSIStream's ReproducerMessage key, checked against the real package's own prepend function. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { processingResultKey } from '../../lib/codec/processing-result-key.js';

const PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const FILES = [
  { subdirStr: '', filename: 'top.csv' },
  { subdirStr: 'run-001', filename: 'summary.txt' },
  { subdirStr: 'run-001/images/raw', filename: 'frame 0001_v2.tif' },
  { subdirStr: 'Probe µ-XRD', filename: 'Ångström scan.dat' },
];

test('key = <subdir with / as _>_<filename>_chunk_processing_result; a top-level file starts with _', () => {
  assert.equal(processingResultKey(FILES[0]!), '_top.csv_chunk_processing_result');
  assert.equal(processingResultKey(FILES[2]!), 'run-001_images_raw_frame 0001_v2.tif_chunk_processing_result');
  const script = [
    'import json,sys',
    'from openmsistream.data_file_io.utilities import get_message_prepend',
    'for f in json.load(sys.stdin): print(get_message_prepend(f["subdirStr"], f["filename"]) + "_processing_result")',
  ].join('\n');
  const python = execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(FILES), encoding: 'utf8', env: { ...process.env, PYTHONIOENCODING: 'utf-8' } });
  assert.deepEqual(python.trimEnd().split('\n'), FILES.map(processingResultKey));
});
