import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSize, parsePositiveNumber } from '../../../src/core/units.js';
import { parseEnvArgs } from '../../../src/core/env-vars.js';

test('sizes with units', () => {
  assert.equal(parseSize('512m', '--memory'), 512 * 1024 ** 2);
  assert.equal(parseSize('1g', '--memory'), 1024 ** 3);
  assert.equal(parseSize('64KiB', '--memory'), 64 * 1024);
  assert.equal(parseSize('1048576', '--memory'), 1048576);
  for (const bad of ['lots', '', '-1m', '0', '12x'])
    assert.throws(() => parseSize(bad, '--memory'), /invalid --memory value/);
});

test('positive numbers', () => {
  assert.equal(parsePositiveNumber('1.5', '--cpus'), 1.5);
  assert.throws(() => parsePositiveNumber('1.5', '--pids-limit', true), /invalid --pids-limit/);
  assert.throws(() => parsePositiveNumber('abc', '--cpus'), /invalid --cpus/);
});

test('-e values', () => {
  assert.deepEqual(parseEnvArgs(['A=1', 'B=x=y', 'C=', 'HOMEX'], { HOMEX: '/h' }), {
    A: '1',
    B: 'x=y',
    C: '',
    HOMEX: '/h',
  });
  assert.deepEqual(parseEnvArgs(['UNSET'], {}), {});
  assert.throws(() => parseEnvArgs(['1A=2']), /invalid environment variable/);
});
