/** `--pull`: Docker's always|missing|never, and the bare `--pull` of earlier berth meaning always. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFastArgs } from '../../../src/cli/fast-args.js';
import { RUN_OPTIONS } from '../../../src/cli/options/run-options.js';
import { pullPolicyOf } from '../../../src/core/pull-policy.js';
import { SpecError } from '../../../src/core/errors.js';

const run = (argv: string[]) => parseFastArgs(argv, RUN_OPTIONS, { min: 0, max: 1 });
const policy = (argv: string[]) => pullPolicyOf(run(argv).options.pull);

test('--pull takes always, missing or never (separate or with =)', () => {
  assert.equal(policy(['--pull', 'never', 'busybox', 'true']), 'never');
  assert.deepEqual(run(['--pull', 'never', 'busybox', 'true']).positionals, ['busybox']);
  assert.equal(policy(['--pull=missing', 'busybox']), 'missing');
  assert.equal(policy(['--pull', 'always', '--', 'true']), 'always');
  assert.equal(policy(['busybox']), undefined, 'absent: the default (missing) is decided later');
});

test('a bare --pull still means always, and leaves the image alone', () => {
  const p = run(['--pull', 'busybox', 'true']);
  assert.equal(pullPolicyOf(p.options.pull), 'always');
  assert.deepEqual(p.positionals, ['busybox']);
  assert.deepEqual(p.command, ['true']);
  assert.equal(policy(['--rm', '--pull']), 'always');
  assert.equal(policy(['--pull', '--rm', 'busybox']), 'always');
});

test('a bad --pull value is a one-line spec error naming the values', () => {
  assert.throws(
    () => run(['--pull=sometimes', 'busybox']),
    (e: unknown) =>
      e instanceof SpecError &&
      /invalid --pull "sometimes"/.test(e.message) &&
      /always, missing, never/.test(e.fix ?? ''),
  );
  assert.throws(
    () => pullPolicyOf('sometimes'),
    (e: unknown) => e instanceof SpecError && /always, missing, never/.test(e.fix ?? ''),
  );
  // The library's earlier boolean form.
  assert.equal(pullPolicyOf(true), 'always');
  assert.equal(pullPolicyOf(false), undefined);
});
