/**
 * Why a restart on a bridge network cannot take its address again (retakeRefusal): an address
 * another environment holds now, or a network state that records none. Before, the second read
 * "its address ? is now gone's".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retakeRefusal } from '../../../src/network/attach/network-attach.js';

test('a restart whose address another environment took is refused, naming it', () => {
  const e = retakeRefusal('web', 'backend', '10.89.0.5', 'db');
  assert.equal(e?.code, 'address-taken');
  assert.equal(e?.message, "environment web cannot start again on network backend: its address 10.89.0.5 is now db's");
});

test('a restart whose network state records no address is refused in plain words', () => {
  const e = retakeRefusal('web', 'backend', undefined, '');
  assert.equal(e?.code, 'address-unknown');
  assert.equal(
    e?.message,
    'environment web cannot start again on network backend: its network state records no address',
  );
  assert.match(e?.fix ?? '', /berth rm web/);
});
