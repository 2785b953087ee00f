/**
 * parseArgs and ArgumentParser as users type them: negative numbers as values, repeated flags,
 * -h, unknown flags with a suggestion, OpenMSIStream flags that do not carry over, and the
 * per-option validators run on what was given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, parseArgs } from '../../lib/config/parse-args.js';
import { ArgumentParser, LOGGER_ARGUMENTS } from '../../lib/programs/runnable.js';
import { positiveInteger, positiveNumber } from '../../lib/config/option-values.js';
import { isCodedError } from '../../lib/errors.js';

const parser = new ArgumentParser(
  [
    { name: 'dir', type: 'string', positional: true, help: 'a directory' },
    { name: 'n_threads', type: 'number', default: 2, check: positiveInteger, alias: ['n_consumer_threads'], help: 'threads' },
    { name: 'memory_budget', type: 'number', default: 256, check: positiveNumber, help: 'MiB' },
    { name: 'topic_name', type: 'string', help: 'topic' },
    ...LOGGER_ARGUMENTS,
  ],
  'Usage: test <dir>',
);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isCodedError(err), `a coded error, got ${String(err)}`);
    assert.equal(err.code, 'ERR_INVALID_ARGUMENT');
    return err.message;
  }
  assert.fail('expected ERR_INVALID_ARGUMENT');
}

test('a negative number after a value-taking flag is its value, and its validator refuses it by name', () => {
  assert.match(refusal(() => parser.parse(['d', '--n_threads', '-3'])), /^--n_threads must be a whole number >= 1, got -3$/);
  assert.match(refusal(() => parser.parse(['d', '--memory_budget', '-5'])), /^--memory_budget must be a number > 0, got -5$/);
  assert.match(refusal(() => parser.parse(['d', '--n_threads=-3'])), /--n_threads must be a whole number >= 1/);
  assert.match(refusal(() => parser.parse(['d', '--n-threads', '-.5'])), /--n_threads must be a whole number >= 1/);
});

test('zero and fractions are refused where a whole number is needed', () => {
  assert.match(refusal(() => parser.parse(['d', '--n_threads', '0'])), /--n_threads must be a whole number >= 1, got 0/);
  assert.match(refusal(() => parser.parse(['d', '--n_threads', '2.5'])), /--n_threads must be a whole number >= 1, got 2.5/);
  assert.match(refusal(() => parser.parse(['d', '--n_threads', 'four'])), /--n_threads must be a number, got "four"/);
});

test('a repeated flag: the last one wins (argparse), in either spelling', () => {
  assert.equal(parser.parse(['d', '--n_threads', '4', '--n_threads', '5']).n_threads, 5);
  assert.equal(parser.parse(['d', '--n_threads', '4', '--n-threads', '6']).n_threads, 6);
  assert.equal(parser.parse(['d', '--topic_name', 'a', '--topic_name', 'b']).topic_name, 'b');
  assert.equal(parser.parse(['d', '--n_consumer_threads', '3']).n_threads, 3, 'OpenMSIStream\'s name for the same option');
});

test('log levels are checked, in any case, with Python\'s names', () => {
  assert.match(refusal(() => parser.parse(['d', '--logger_stream_level', 'verbose'])), /--logger_stream_level must be one of .*warning.*got "verbose"/);
  assert.equal(parser.parse(['d', '--logger_stream_level', 'WARNING']).logger_stream_level, 'warning');
  assert.equal(parser.parse(['d', '--logger-file-level', 'debug']).logger_file_level, 'debug');
  assert.match(refusal(() => parser.parse(['d', '--logger_file_format', 'xml'])), /--logger_file_format must be one of text, json/);
});

test('-h is --help, and help lists it', () => {
  assert.equal(parser.parse(['-h']).help, true);
  assert.equal(parseArgs(['-h'], {}).help, true);
  assert.match(parser.help(), /-h, --help/);
});

test('an unknown flag names the closest known one', () => {
  assert.match(refusal(() => parser.parse(['d', '--topic', 'x'])), /unknown option --topic; did you mean --topic_name\?/);
  assert.match(refusal(() => parser.parse(['d', '--n_thread', '2'])), /did you mean --n_threads\?/);
  assert.match(refusal(() => parser.parse(['d', '--zzzzzzzzzz'])), /^unknown option --zzzzzzzzzz \(see --help\)$/);
});

test('OpenMSIStream flags that do not carry over say why', () => {
  assert.match(refusal(() => parser.parse(['d', '--treat_undecryptable_as_plaintext'])), /OpenMSIStream's; KafkaCrypto encryption is not supported/);
  assert.match(refusal(() => parser.parse(['d', '--heartbeat-topic-name', 'h'])), /heartbeat topics are not supported yet/);
});

test('closest: edit distance or containment, nothing when far', () => {
  assert.equal(closest('uploadfile', ['upload-file', 'upload-directory']), 'upload-file');
  assert.equal(closest('xyz', ['upload-file']), undefined);
});
