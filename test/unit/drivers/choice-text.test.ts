import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeChoice } from '../../../src/drivers/choice-text.js';

test('the choice in one line: which backend, why, and what --isolation kernel would give', () => {
  assert.equal(
    describeChoice({
      chosen: 'container',
      requested: 'auto',
      source: 'default',
      kernelIsolation: 'uml',
      passedOver: [{ backend: 'microvm', reason: 'KVM does not work here: /dev/kvm absent' }],
    }),
    'the container backend (auto; microvm: KVM does not work here: /dev/kvm absent; --isolation kernel would give uml)',
  );
  assert.equal(
    describeChoice({
      chosen: 'microvm',
      requested: 'auto',
      source: 'default',
      kernelIsolation: 'microvm (KVM)',
      passedOver: [],
    }),
    'the microvm backend (auto: KVM works here)',
  );
  assert.equal(
    describeChoice({ chosen: 'uml', requested: 'uml', source: 'BERTH_BACKEND', passedOver: [] }),
    'the uml backend (BERTH_BACKEND=uml)',
  );
  assert.equal(
    describeChoice({ chosen: 'chroot', requested: 'chroot', source: '/etc/berth/config.json', passedOver: [] }),
    'the chroot backend ("backend": "chroot" in /etc/berth/config.json)',
  );
  assert.equal(
    describeChoice({ chosen: 'uml', requested: 'uml', source: '--backend', passedOver: [] }),
    'the uml backend (--backend uml)',
  );
  assert.equal(
    describeChoice({
      chosen: 'container',
      requested: 'auto',
      source: 'BERTH_BACKEND',
      kernelIsolation: 'uml',
      passedOver: [{ backend: 'microvm', reason: 'no KVM' }],
    }),
    'the container backend (auto from BERTH_BACKEND=auto; microvm: no KVM; --isolation kernel would give uml)',
  );
  assert.equal(
    describeChoice({
      chosen: 'uml',
      requested: 'auto',
      source: 'default',
      isolation: 'kernel',
      passedOver: [{ backend: 'microvm', reason: 'no KVM' }],
    }),
    'the uml backend (auto with --isolation kernel; microvm: no KVM)',
  );
  // Records written before the choice said where it came from.
  assert.equal(describeChoice({ chosen: 'uml', passedOver: [] }), 'the uml backend');
});
