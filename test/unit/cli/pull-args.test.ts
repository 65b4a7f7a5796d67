/** `berth pull`'s hot-path arguments: REF with options before or after it, one table (ADR 0050). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePullArgs } from '../../../src/cli/commands/pull.js';

test('options may come before or after REF, as under yargs', () => {
  assert.deepEqual(parsePullArgs(['-q', 'reg:5000/a/b:1']), { ref: 'reg:5000/a/b:1', insecure: [], quiet: true });
  assert.deepEqual(parsePullArgs(['reg:5000/a/b:1', '-q']), { ref: 'reg:5000/a/b:1', insecure: [], quiet: true });
  assert.deepEqual(
    parsePullArgs(['--insecure-registry', 'a:1', 'tar:/x.tar', '--sha256=ab', '--insecure-registry=b']),
    { ref: 'tar:/x.tar', insecure: ['a:1', 'b'], sha256: 'ab', quiet: false },
  );
});

test('no REF, two REFs or an unknown option: one line naming the problem and the fix', () => {
  const refused = (argv: string[], re: RegExp) =>
    assert.throws(
      () => parsePullArgs(argv),
      (e: Error & { fix?: string }) => re.test(e.message) && !!e.fix && !e.message.includes('\n'),
    );
  refused([], /needs an image reference/);
  refused(['-q'], /needs an image reference/);
  refused(['a', 'b'], /one image reference, not also "b"/);
  refused(['--bogus', 'a'], /unknown option --bogus/);
  refused(['a', '--sha256'], /--sha256 needs a value/);
});
