import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGuestPs } from '../../../src/drivers/vm/guest-ps.js';

test("parseGuestPs: the guest's processes with users; kernel threads, zombies and the lister left out", () => {
  const out = [
    'self 700',
    '==> 1/status <==',
    'Name:\tinit',
    'PPid:\t0',
    'Uid:\t0\t0\t0\t0',
    '',
    '==> 2/status <==',
    'Name:\tkthreadd',
    'PPid:\t0',
    'Uid:\t0\t0\t0\t0',
    '',
    '==> 695/status <==',
    'Name:\tsleep',
    'PPid:\t1',
    'Uid:\t65534\t65534\t65534\t65534',
    '',
    '==> 700/status <==',
    'Name:\tsh',
    'PPid:\t1',
    'Uid:\t0\t0\t0\t0',
    '',
    '==> 1/cmdline <==',
    '/init\0',
    '==> 2/cmdline <==',
    '',
    '==> 695/cmdline <==',
    'sleep\u00001000\0',
    '==> 700/cmdline <==',
    'sh\0-c\0...\0',
    '--berth-passwd--',
    'root:x:0:0:root:/root:/bin/sh',
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
    '',
  ].join('\n');
  assert.deepEqual(parseGuestPs(out), [
    { pid: 1, uid: 0, user: 'root', command: '/init' },
    { pid: 695, uid: 65534, user: 'nobody', command: 'sleep 1000' },
  ]);
  // No passwd (or a uid it lacks): the number stays, no name is invented.
  assert.deepEqual(parseGuestPs('self 9\n==> 5/status <==\nUid:\t42\t42\t42\t42\n\n==> 5/cmdline <==\nx\0'), [
    { pid: 5, uid: 42, command: 'x' },
  ]);
});
