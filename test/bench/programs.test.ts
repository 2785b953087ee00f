// The bench gives both toolkits' consumers the same terms: the shared config file and
// --consumer_group_id (so the bench can watch the group), no debug logging, no flag one side lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchContext, programs, type ProgramSpec } from '../../bench/programs.js';

const ctx = benchContext('/repo');

/** `--flag value` pairs of a command line, without the positional arguments. */
function flags(spec: ProgramSpec): Map<string, string> {
  const out = new Map<string, string>();
  spec.args.forEach((a, i) => {
    if (a.startsWith('--')) out.set(a, spec.args[i + 1] ?? '');
  });
  return out;
}

test('ours and OpenMSIStream rebuild a topic with the same flags: config, topic and consumer group, nothing else', () => {
  const ours = flags(programs.oursDisk(ctx, '/out', 'T', 'G1'));
  const theirs = flags(programs.openmsistreamDownload(ctx, '/out', 'T', 'G2', '/cwd'));
  assert.deepEqual([...ours.keys()].sort(), ['--config', '--consumer_group_id', '--topic_name']);
  assert.deepEqual([...theirs.keys()].sort(), [...ours.keys()].sort());
  assert.equal(ours.get('--config'), theirs.get('--config'));
  assert.equal(ours.get('--consumer_group_id'), 'G1');
  assert.equal(theirs.get('--consumer_group_id'), 'G2');
});

test('no consumer is run with debug logging, and each is told its group', () => {
  const consumers = [
    programs.oursDisk(ctx, '/out', 'T', 'G'),
    programs.oursMemory(ctx, '/out', 'T', 'G', 256),
    programs.openmsistreamDownload(ctx, '/out', 'T', 'G', '/cwd'),
    programs.rawConsume(ctx, 'T', 'G'),
  ];
  for (const spec of consumers) {
    assert.ok(!spec.args.some((a) => /logger_stream_level|debug/.test(a)), `${spec.label}: ${spec.args.join(' ')}`);
    assert.ok(spec.args.includes('G'), `${spec.label} gets the group id`);
  }
});
