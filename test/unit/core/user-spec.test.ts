import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveUser } from '../../../src/core/user-spec.js';

const passwd = 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n';
const group = 'root:x:0:\nwww:x:33:\nstaff:x:50:www\n';

test('numeric and named users, groups from the image', () => {
  assert.deepEqual(resolveUser(undefined, passwd, group), { uid: 0, gid: 0, groups: [], home: '/root' });
  assert.deepEqual(resolveUser('www', passwd, group), { uid: 33, gid: 33, groups: [50], home: '/var/www' });
  assert.deepEqual(resolveUser('1000:1001', passwd, group), { uid: 1000, gid: 1001, groups: [], home: '/' });
  assert.deepEqual(resolveUser('1000', passwd, group), { uid: 1000, gid: 1000, groups: [], home: '/' });
  assert.deepEqual(resolveUser('www:root', passwd, group), { uid: 33, gid: 0, groups: [50], home: '/var/www' });
});

test('unknown names and malformed values are errors', () => {
  assert.throws(() => resolveUser('nobody2', passwd, group), /not in the image's \/etc\/passwd/);
  assert.throws(() => resolveUser('0:nogroup', passwd, group), /not in the image's \/etc\/group/);
  assert.throws(() => resolveUser('1:2:3', passwd, group), /invalid --user/);
  assert.throws(() => resolveUser('1:', passwd, group), /invalid --user/);
});
