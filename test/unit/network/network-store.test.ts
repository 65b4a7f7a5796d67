import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { NetworkStore, bridgeNameFor } from '../../../src/network/network-store.js';
import { resolvePaths } from '../../../src/core/paths.js';
import { parsePortSpec } from '../../../src/network/port-spec.js';

function store() {
  const root = mkdtempSync(join(tmpdir(), 'berth-netstore-'));
  return {
    nets: new NetworkStore(resolvePaths({ BERTH_ROOT: root })),
    done: () => rmSync(root, { recursive: true, force: true }),
  };
}

test('plan: names, reserved names, overlaps with other networks and host interfaces', () => {
  const { nets, done } = store();
  try {
    const a = nets.plan('web', '10.90.0.0/24', []);
    assert.equal(a.gateway, '10.90.0.1');
    assert.equal(a.bridge, bridgeNameFor('web'));
    assert.ok(a.bridge.length <= 15);
    nets.write(a);
    assert.throws(() => nets.plan('web', '10.91.0.0/24', []), /already exists/);
    assert.throws(() => nets.plan('other', '10.90.0.0/16', []), /overlaps network web/);
    assert.throws(() => nets.plan('host', undefined, []), /network mode/);
    assert.throws(
      () => nets.plan('lan', '192.0.2.0/24', [{ dev: 'eth0', cidr: '192.0.2.2/24' }]),
      /overlaps host interface eth0/,
    );
    assert.equal(nets.plan('auto', undefined, [{ dev: 'lo', cidr: '127.0.0.1/8' }]).subnet, '10.89.0.0/24');
    assert.equal(nets.plan('bridge', undefined, []).subnet, '10.87.0.0/16');
    assert.equal(nets.plan('bridge', undefined, [{ dev: 'docker0', cidr: '10.87.0.1/16' }]).subnet, '10.89.0.0/24');
    assert.equal(bridgeNameFor('bridge'), 'berth0');
    // The default network is per store (ADR 0041): another data directory, another bridge and table.
    assert.equal(bridgeNameFor('bridge', '/var/lib/berth'), 'berth0');
    const other = bridgeNameFor('bridge', '/tmp/store-a');
    assert.match(other, /^berth[0-9a-f]{8}$/);
    assert.notEqual(other, bridgeNameFor('bridge', '/tmp/store-b'));
    assert.notEqual(other, bridgeNameFor('web', '/tmp/store-a'));
    assert.equal(bridgeNameFor('web', '/tmp/store-a'), bridgeNameFor('web'));
    const planned = nets.plan('bridge', undefined, []);
    assert.equal(planned.bridge, planned.table);
  } finally {
    done();
  }
});

test('leases: lowest free address, dead environments pruned, host port conflicts across networks', () => {
  const { nets, done } = store();
  try {
    const a = nets.plan('web', '10.90.0.0/24', []);
    const l1 = NetworkStore.allocate(a, 'e1', ['one'], [parsePortSpec('8080:80')], 'bve1');
    const l2 = NetworkStore.allocate(a, 'e2', ['two'], [], 'bve2');
    assert.deepEqual([l1.ip, l2.ip], ['10.90.0.2', '10.90.0.3']);
    nets.write(a);
    const live = new Set(['e1', 'e2']);
    const alive = (id: string) => live.has(id);
    assert.match(
      nets.conflicts([parsePortSpec('127.0.0.1:8080:81')], alive) ?? '',
      /already published by environment one/,
    );
    assert.equal(nets.conflicts([parsePortSpec('8080:80/udp')], alive), undefined);
    assert.equal(nets.conflicts([parsePortSpec('8080:80')], alive, 'e1'), undefined);
    live.delete('e1');
    assert.equal(nets.conflicts([parsePortSpec('8080:80')], alive), undefined);
    assert.equal(NetworkStore.prune(a, alive), true);
    assert.equal(NetworkStore.allocate(a, 'e3', ['three'], [], 'bve3').ip, '10.90.0.2');
  } finally {
    done();
  }
});
