import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDebianVariant, mirrorLine, mmdebstrapArgv } from '../../../src/images/debian/mmdebstrap-cmdline.js';
import { mirrorCandidates } from '../../../src/images/debian/debian-mirror.js';
import type { AptSource } from '../../../src/images/debian/apt-sources.js';

const base = {
  suite: 'bookworm',
  mirror: 'http://mirror.example/debian/',
  keyring: '/usr/share/keyrings/debian-archive-keyring.gpg',
  output: '/s/build/x/rootfs.tar',
  arch: 'amd64',
};

test('mmdebstrapArgv: root builds with --mode=root, a user with --mode=unshare, into a tarball', () => {
  assert.deepEqual(mmdebstrapArgv({ ...base, rootless: false }), [
    'mmdebstrap',
    '--mode=root',
    '--format=tar',
    '--architectures=amd64',
    'bookworm',
    '/s/build/x/rootfs.tar',
    'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian bookworm main',
  ]);
  assert.deepEqual(mmdebstrapArgv({ ...base, rootless: true, variant: 'minbase', quiet: true }).slice(0, 6), [
    'mmdebstrap',
    '--mode=unshare',
    '--format=tar',
    '--architectures=amd64',
    '--variant=minbase',
    '--quiet',
  ]);
});

test('mirrorLine and variants', () => {
  assert.equal(
    mirrorLine('https://m.example/debian///', 'trixie', '/k.gpg'),
    'deb [signed-by=/k.gpg] https://m.example/debian trixie main',
  );
  assert.equal(isDebianVariant('minbase'), true);
  assert.equal(isDebianVariant('extract'), false);
  assert.equal(isDebianVariant('bogus'), false);
});

test('mirrorCandidates: enabled http(s) deb entries, those listing the suite first', () => {
  const src = (uris: string[], suites: string[], extra: Partial<AptSource> = {}): AptSource => ({
    types: ['deb'],
    uris,
    suites,
    components: ['main'],
    enabled: true,
    origin: 'x:1',
    ...extra,
  });
  const a = src(['http://a.example/debian'], ['bookworm']);
  const b = src(['http://b.example/debian'], ['trixie']);
  const off = src(['http://c.example/debian'], ['trixie'], { enabled: false });
  const cdrom = src(['cdrom:/x'], ['trixie']);
  const srcOnly = src(['http://d.example/debian'], ['trixie'], { types: ['deb-src'] });
  assert.deepEqual(mirrorCandidates([a, b, off, cdrom, srcOnly], 'trixie'), [b, a]);
});
