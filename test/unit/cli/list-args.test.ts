import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListArgs } from '../../../src/cli/list-args.js';
import { KILL_OPTIONS, RM_OPTIONS, STOP_OPTIONS } from '../../../src/cli/options/list-verb-options.js';

test('list verbs: options before, between and after the ENVs, as Docker takes them', () => {
  assert.deepEqual(parseListArgs(['-f', 'a', 'b'], RM_OPTIONS), { options: { force: true }, positionals: ['a', 'b'] });
  assert.deepEqual(parseListArgs(['a', '-f', 'b'], RM_OPTIONS), { options: { force: true }, positionals: ['a', 'b'] });
  assert.deepEqual(parseListArgs(['a', 'b', '--force'], RM_OPTIONS), {
    options: { force: true },
    positionals: ['a', 'b'],
  });
  assert.deepEqual(parseListArgs(['a', '-t', '3'], STOP_OPTIONS), { options: { time: '3' }, positionals: ['a'] });
  assert.deepEqual(parseListArgs(['--time=0', 'a'], STOP_OPTIONS), { options: { time: '0' }, positionals: ['a'] });
  assert.deepEqual(parseListArgs(['-sTERM', 'a'], KILL_OPTIONS), { options: { signal: 'TERM' }, positionals: ['a'] });
  assert.deepEqual(parseListArgs([], RM_OPTIONS), { options: {}, positionals: [] });
});

test('list verbs: after -- every token is an ENV, even one that looks like an option', () => {
  assert.deepEqual(parseListArgs(['a', '--', '-f', 'b'], RM_OPTIONS), { options: {}, positionals: ['a', '-f', 'b'] });
  assert.deepEqual(parseListArgs(['--', '-x'], RM_OPTIONS), { options: {}, positionals: ['-x'] });
});

test('list verbs: an unknown option or a missing value is refused, wherever it stands', () => {
  assert.throws(() => parseListArgs(['a', '--nope'], RM_OPTIONS), /unknown option --nope/);
  assert.throws(() => parseListArgs(['a', '-t'], STOP_OPTIONS), /-t needs a value/);
  assert.throws(() => parseListArgs(['a', '--force=1'], RM_OPTIONS), /--force takes no value/);
});
