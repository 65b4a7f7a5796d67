/**
 * A captured exec with a timeout on a VM backend ends that exec only: its SIGTERM/SIGKILL go to
 * the exec's session, never to the environment's command (the VM monitor once mapped an exec
 * client's session 1 onto the command's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as berth from '../../../src/index.js';
import { REPO } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { requireTestMirror } from '../../helpers/test-mirror.js';

test('uml: exec with timeoutMs times out the exec and leaves the command running', { timeout: 300_000 }, async (t) => {
  if (
    !requireThat(
      t,
      existsSync(join(REPO, 'native', 'bin', 'berth-guest-init')),
      'native/bin/berth-guest-init (npm run build)',
    )
  )
    return;
  if (!requireThat(t, existsSync('/usr/bin/linux.uml'), 'the user-mode-linux package (linux.uml)')) return;
  if (!requireTestMirror(t)) return; // the first uml run resolves its kernel against the mirror
  const root = mkdtempSync(join(tmpdir(), 'berth-vm-timeout-'));
  try {
    await using env = await berth.create({ root, backend: 'uml', command: ['sleep', '600'] });
    const slow = await env.exec(['sleep', '30'], { timeoutMs: 300 });
    assert.equal(slow.timedOut, true);
    assert.notEqual(slow.exitCode, 0);
    assert.equal(slow.signal, 'SIGTERM');
    assert.equal(berth.inspect(env.id, { root }).status.state, 'running', 'the command outlives the timed-out exec');
    assert.equal((await env.exec(['echo', 'alive'])).stdout, 'alive\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
