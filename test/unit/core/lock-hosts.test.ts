import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { acquireLock } from '../../../src/core/lock.js';

test('a lock owned on another host (a shared --store) holds even though its pid is not alive here', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'berth-lock-')), 'x.lock');
  // pid 2^22+1 does not exist here; on node7 it might.
  writeFileSync(path, `4194305 123 node7-${hostname()}\n`);
  await assert.rejects(acquireLock(path, 'the thing', 200), /is locked by another berth process on node7-/);
  // Locks are symlinks now (ADR 0034); regular lock files of older versions are still read.
  // The same dead owner on this host is stale and taken over; the new lock names this host.
  writeFileSync(path, `4194305 123 ${hostname()}\n`);
  const lock = await acquireLock(path, 'the thing', 200);
  assert.equal(readlinkSync(path).split(' ')[2], hostname());
  lock.release();
  // A lock written by an older berth (pid and start time only) is judged on this host as before.
  writeFileSync(path, '4194305 123\n');
  (await acquireLock(path, 'the thing', 200)).release();
  // Today's form: a symlink naming the owner; another host's holds.
  symlinkSync(`4194305 123 node7-${hostname()}`, path);
  await assert.rejects(acquireLock(path, 'the thing', 200), /on node7-/);
  rmSync(dirname(path), { recursive: true, force: true });
});
