import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec } from '../../../src/core/spec-validate.js';
import { defaultSpec } from '../../../src/core/spec.js';
import { SpecError } from '../../../src/core/errors.js';

test('a NUL byte anywhere argv, the environment or a path would carry it is a SpecError naming the field', () => {
  const cases: [Parameters<typeof defaultSpec>[0], RegExp][] = [
    [{ name: 'a\0b' }, /^the name "a\\u0000b" contains a NUL byte/],
    [{ command: ['echo', 'a\0b'] }, /^a command argument/],
    [{ entrypoint: ['sh\0'] }, /^an entrypoint argument/],
    [{ env: { A: 'b\0c' } }, /^an environment variable "A=b\\u0000c"/],
    [{ labels: { k: '\0' } }, /^a label/],
    [{ user: 'r\0ot' }, /^the user/],
    [{ workdir: '/w\0' }, /^the workdir/],
  ];
  for (const [input, re] of cases) {
    assert.throws(
      () => validateSpec(defaultSpec(input)),
      (e: unknown) => e instanceof SpecError && e.code === 'nul-byte' && re.test(e.message),
      JSON.stringify(input),
    );
  }
  validateSpec(defaultSpec({ command: ['echo', 'fine'], env: { A: 'b' } }));
});
