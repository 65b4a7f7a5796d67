import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, utimesSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { acquireLock } from '../../../src/core/lock.js';

test('a lock file whose owner is not written yet is held, not taken over as stale (two builders once both built)', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'berth-lock-')), 'x.lock');
  writeFileSync(path, '');
  await assert.rejects(acquireLock(path, 'the thing', 300), /is locked by another berth process/);
  // Left empty for long: its creator died between create and write; it is stale then.
  const old = new Date(Date.now() - 60_000);
  utimesSync(path, old, old);
  const lock = await acquireLock(path, 'the thing', 300);
  lock.release();
  rmSync(dirname(path), { recursive: true, force: true });
});
