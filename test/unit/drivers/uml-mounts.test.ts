import { test } from 'node:test';
import assert from 'node:assert/strict';
import { umlGuestMounts } from '../../../src/drivers/uml/uml-mounts.js';
import { encodeMount } from '../../../src/drivers/vm/guest-protocol.js';

test('uml -v: directories are hostfs mounts, anything else a file mount named by its real path', () => {
  const dirs = new Set(['/srv/data']);
  const got = umlGuestMounts(
    [
      { source: '/srv/data', target: '/data', readOnly: false },
      { source: '/srv/conf.txt', target: '/etc/conf.txt', readOnly: true },
    ],
    (p) => (dirs.has(p) ? { directory: true } : { directory: false, realPath: `/real${p}` }),
  );
  assert.deepEqual(got, [
    { type: 'hostfs', source: '/srv/data', target: '/data', readOnly: false },
    { type: 'hostfs', source: '/real/srv/conf.txt', target: '/etc/conf.txt', readOnly: true, file: true },
  ]);
  assert.deepEqual(got.map(encodeMount), [
    'rw:hostfs:/data:/srv/data',
    'ro,file:hostfs:/etc/conf.txt:/real/srv/conf.txt',
  ]);
});
