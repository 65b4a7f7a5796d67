import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_KEYRING,
  debianSources,
  mirrorSource,
  parseDebianMirrorSetting,
} from '../../../src/images/debian/mirror-setting.js';
import { candidateSources } from '../../../src/images/debian/apt-sources.js';
import { SpecError } from '../../../src/core/errors.js';

const refused = (code: string, names: RegExp) => (e: unknown) =>
  e instanceof SpecError &&
  e.code === code &&
  e.exitCode === 125 &&
  names.test(e.oneLine()) &&
  !e.oneLine().includes('\n');

test('unset or empty: no setting (the host apt sources are used)', () => {
  assert.equal(parseDebianMirrorSetting({}), undefined);
  assert.equal(parseDebianMirrorSetting({ BERTH_DEBIAN_MIRROR: '' }), undefined);
});

test('a URL: its base without trailing slashes, Debian keyring by default, or the one given', () => {
  assert.deepEqual(parseDebianMirrorSetting({ BERTH_DEBIAN_MIRROR: 'http://127.0.0.1:8080/debian//' }), {
    base: 'http://127.0.0.1:8080/debian',
    keyring: DEFAULT_KEYRING,
  });
  assert.deepEqual(
    parseDebianMirrorSetting({ BERTH_DEBIAN_MIRROR: 'https://mirror.example/deb', BERTH_DEBIAN_KEYRING: '/k/m.gpg' }),
    { base: 'https://mirror.example/deb', keyring: '/k/m.gpg' },
  );
});

test('bad values: one line naming the variable and the fix, exit 125', () => {
  for (const url of [
    'mirror.example/debian',
    'ftp://mirror.example/debian',
    'file:///srv/debian',
    'http://m/d?x=1',
    'http://',
  ]) {
    assert.throws(
      () => parseDebianMirrorSetting({ BERTH_DEBIAN_MIRROR: url }),
      refused('debian-mirror-invalid', /BERTH_DEBIAN_MIRROR=.* is not an http\(s\) URL \(set it to/),
      url,
    );
  }
  assert.throws(
    () => parseDebianMirrorSetting({ BERTH_DEBIAN_MIRROR: 'http://m/debian', BERTH_DEBIAN_KEYRING: 'rel/k.gpg' }),
    refused('debian-keyring-invalid', /BERTH_DEBIAN_KEYRING="rel\/k.gpg" is not an absolute path/),
  );
  assert.throws(
    () => parseDebianMirrorSetting({ BERTH_DEBIAN_KEYRING: '/k.gpg' }),
    refused('debian-keyring-without-mirror', /BERTH_DEBIAN_MIRROR is not \(set BERTH_DEBIAN_MIRROR/),
  );
});

test("the mirror's source is the only candidate for SUITE main, signed by the keyring", async () => {
  const setting = { base: 'http://127.0.0.1:1/debian', keyring: '/k.gpg' };
  const src = mirrorSource(setting, 'trixie');
  assert.deepEqual(candidateSources([src], 'trixie', 'amd64'), [src]);
  assert.deepEqual(src.signedBy, ['/k.gpg']);
  // The environment replaces the host's apt sources (the root below has none at all).
  const env = { BERTH_DEBIAN_MIRROR: 'http://127.0.0.1:1/debian/', BERTH_DEBIAN_KEYRING: '/k.gpg' };
  assert.deepEqual(await debianSources('trixie', '/nonexistent-root', env), [src]);
  assert.deepEqual(await debianSources('trixie', '/nonexistent-root', {}), []);
});
