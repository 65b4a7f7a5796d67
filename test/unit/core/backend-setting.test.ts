import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { configFiles, requestedBackend } from '../../../src/core/backend-setting.js';
import { isBerthError } from '../../../src/core/errors.js';

function withFiles(fn: (files: { user: string; system: string }, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-setting-'));
  try {
    fn({ user: join(dir, 'user', 'config.json'), system: join(dir, 'etc', 'config.json') }, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function put(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

test('config files: $XDG_CONFIG_HOME/berth (or ~/.config/berth) for the user, /etc/berth system-wide', () => {
  assert.deepEqual(configFiles({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/u' }), {
    user: '/x/cfg/berth/config.json',
    system: '/etc/berth/config.json',
  });
  assert.deepEqual(configFiles({ HOME: '/home/u' }), {
    user: '/home/u/.config/berth/config.json',
    system: '/etc/berth/config.json',
  });
});

test('precedence: flag > BERTH_BACKEND > user config > system config > auto', () => {
  withFiles((files) => {
    assert.deepEqual(requestedBackend(undefined, {}, files), { backend: 'auto', source: 'default' });
    put(files.system, '{"backend": "chroot"}');
    assert.deepEqual(requestedBackend(undefined, {}, files), { backend: 'chroot', source: files.system });
    put(files.user, '{"backend": "uml", "other": 1}');
    assert.deepEqual(requestedBackend(undefined, {}, files), { backend: 'uml', source: files.user });
    assert.deepEqual(requestedBackend(undefined, { BERTH_BACKEND: 'container' }, files), {
      backend: 'container',
      source: 'BERTH_BACKEND',
    });
    assert.deepEqual(requestedBackend('auto', { BERTH_BACKEND: 'container' }, files), {
      backend: 'auto',
      source: '--backend',
    });
    assert.deepEqual(requestedBackend('microvm', { BERTH_BACKEND: 'container' }, files), {
      backend: 'microvm',
      source: '--backend',
    });
    // An empty variable is unset; a config file without "backend" does not decide.
    put(files.user, '{}');
    assert.deepEqual(requestedBackend(undefined, { BERTH_BACKEND: '' }, files), {
      backend: 'chroot',
      source: files.system,
    });
  });
});

test('a bad value in any source is one line naming the source and the fix (exit 125)', () => {
  withFiles((files) => {
    const bad = (fn: () => unknown, re: RegExp) =>
      assert.throws(fn, (e: unknown) => {
        assert.ok(isBerthError(e), String(e));
        assert.equal(e.exitCode, 125);
        assert.doesNotMatch(e.oneLine(), /\n/);
        assert.match(e.oneLine(), re);
        return true;
      });
    bad(
      () => requestedBackend('kvm', {}, files),
      /--backend "kvm" is not a backend \(use one of: auto, microvm, uml, container, chroot\)/,
    );
    bad(
      () => requestedBackend(undefined, { BERTH_BACKEND: 'docker' }, files),
      /BERTH_BACKEND="docker" is not a backend \(set it to one of: auto, microvm, uml, container, chroot, or unset it\)/,
    );
    put(files.user, '{"backend": "qemu"}');
    bad(
      () => requestedBackend(undefined, {}, files),
      new RegExp(`${files.user}: "backend": "qemu" is not a backend \\(set it to one of: auto, .*, or remove it\\)`),
    );
    put(files.user, '{"backend": 3}');
    bad(() => requestedBackend(undefined, {}, files), /"backend": 3 is not a backend/);
    put(files.user, '{"backend": "uml",');
    bad(
      () => requestedBackend(undefined, {}, files),
      new RegExp(`${files.user} is not valid JSON: .*\\(fix or remove the file\\)`),
    );
    put(files.user, '["uml"]');
    bad(() => requestedBackend(undefined, {}, files), new RegExp(`${files.user} is not a JSON object`));
    rmSync(files.user);
    put(files.system, 'backend=uml');
    bad(() => requestedBackend(undefined, {}, files), new RegExp(`${files.system} is not valid JSON`));
    // A source that decides first shadows a later bad one (it is never read).
    assert.deepEqual(requestedBackend(undefined, { BERTH_BACKEND: 'chroot' }, files), {
      backend: 'chroot',
      source: 'BERTH_BACKEND',
    });
  });
});
