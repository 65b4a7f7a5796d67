import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { isNoSpace, NO_SPACE_CODE } from '../../../src/core/no-space.js';
import { asNoSpaceError, mountPointOf } from '../../../src/host/no-space-error.js';
import { ImageError, isBerthError } from '../../../src/core/errors.js';

const enospc = (path?: string) =>
  Object.assign(new Error(`ENOSPC: no space left on device, write${path ? ` '${path}'` : ''}`), {
    code: 'ENOSPC',
    ...(path ? { path, syscall: 'open' } : {}),
  });

test('isNoSpace: errno codes, causes, tool output; not other errors', () => {
  assert.equal(isNoSpace(enospc()), true);
  assert.equal(isNoSpace(Object.assign(new Error('x'), { code: 'EDQUOT' })), true);
  assert.equal(isNoSpace(new ImageError('download-interrupted', 'failed', { cause: enospc() })), true);
  assert.equal(isNoSpace(new Error('mke2fs: No space left on device while writing inode table')), true);
  assert.equal(isNoSpace(new Error('EACCES: permission denied')), false);
  assert.equal(isNoSpace(undefined), false);
});

test('asNoSpaceError: one BerthError naming the mount point and berth prune; others unchanged', () => {
  const other = new Error('boom');
  assert.equal(asNoSpaceError(other), other);
  const e = asNoSpaceError(enospc(`${tmpdir()}/nope/file`), { BERTH_ROOT: '/nonexistent' });
  assert.ok(isBerthError(e));
  assert.equal(e.code, NO_SPACE_CODE);
  assert.equal(e.exitCode, 125);
  assert.match(e.oneLine(), new RegExp(`^no space left on the filesystem at ${mountPointOf(tmpdir())} \\(`));
  assert.match(e.oneLine(), /while writing .*nope\/file.*berth prune/);
  assert.ok(!e.oneLine().includes('\n'));
  // Without a path: the data directory's filesystem.
  const d = asNoSpaceError(new ImageError('layer-unpack', 'cannot unpack layer x: disk', { cause: enospc() }), {
    BERTH_ROOT: '/',
  });
  assert.ok(isBerthError(d));
  assert.match(d.message, /^no space left on the filesystem at \/ \([^)]*\)$/);
  assert.equal(asNoSpaceError(d), d, 'applied once');
});

test('mountPointOf: the longest mount point holding a path, for paths that do not exist yet', () => {
  assert.equal(mountPointOf('/'), '/');
  assert.equal(mountPointOf('/proc/self/status'), '/proc');
  assert.equal(mountPointOf('/proc/does/not/exist'), '/proc');
});
