import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heldPorts } from '../../../src/network/held-ports.js';

test('held ports: a bridge network holds every -p host port, the wildcard when no address is given', () => {
  const ports = [
    { hostIp: '127.0.0.1', hostPort: 18080, guestPort: 80, protocol: 'tcp' as const },
    { hostPort: 5353, guestPort: 53, protocol: 'udp' as const },
  ];
  assert.deepEqual(heldPorts({ kind: 'bridge', network: 'net1' }, ports), ['tcp:127.0.0.1:18080', 'udp:0.0.0.0:5353']);
  // pasta, slirp, QEMU and uml's relay listen on their own ports; none and host publish nothing.
  for (const kind of ['user', 'none', 'host'] as const) assert.deepEqual(heldPorts({ kind }, ports), []);
});
