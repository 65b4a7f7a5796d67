import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec } from '../../../src/core/spec-validate.js';
import { defaultSpec } from '../../../src/core/spec.js';
import { parseSize } from '../../../src/core/units.js';

test('disk size: a positive whole number of bytes', () => {
  validateSpec(defaultSpec({ diskSizeBytes: parseSize('4g', '--disk-size') }));
  validateSpec(defaultSpec());
  for (const bad of [0, -1, 1.5, Number.NaN])
    assert.throws(() => validateSpec(defaultSpec({ diskSizeBytes: bad })), /invalid disk size/);
  assert.throws(() => parseSize('4q', '--disk-size'), /invalid --disk-size value "4q"/);
});
