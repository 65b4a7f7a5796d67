/** --cpus above the host's CPUs is refused by name where the backend honours --cpus (Docker's rule). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilityProblems } from '../../../src/drivers/capability-problems.js';
import { MICROVM_CAPABILITIES } from '../../../src/drivers/microvm/microvm-capabilities.js';
import { UML_CAPABILITIES } from '../../../src/drivers/uml/uml-capabilities.js';
import { defaultSpec } from '../../../src/core/spec.js';
import { resolveSpec } from '../../../src/core/resolved-spec.js';

const microvm = { name: 'microvm' as const, capabilities: MICROVM_CAPABILITIES };
const uml = { name: 'uml' as const, capabilities: UML_CAPABILITIES };
const spec = (cpus: number, ignoreUnenforced = false) =>
  resolveSpec(defaultSpec({ limits: { cpus }, ignoreUnenforced }), 'microvm', false).spec;

test('--cpus above the host CPU count is refused on a backend that honours it', () => {
  const p = capabilityProblems(microvm, spec(64), [], 2);
  assert.deepEqual(
    p.map((x) => [x.field, x.message, x.fix]),
    [['cpus', '--cpus 64 is more than the 2 CPU(s) this host has', 'give at most --cpus 2']],
  );
  assert.deepEqual(capabilityProblems(microvm, spec(2), [], 2), []);
});

test('a backend that does not honour --cpus is not refused for the host count (ignore-unenforced)', () => {
  assert.deepEqual(capabilityProblems(uml, spec(64, true), [], 2), []);
});
