import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  candidateSources,
  hostDebianSuite,
  parseDeb822Sources,
  parseOneLineSources,
  parseOsReleaseCodename,
  readHostAptSources,
} from '../../../src/images/debian/apt-sources.js';

test('one-line sources: options, comments, deb-src', () => {
  const text = [
    '# comment line',
    'deb http://mirror.example/debian bookworm main contrib non-free-firmware',
    'deb-src http://mirror.example/debian bookworm main',
    'deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/x.gpg] https://vendor.example/apt cloud-sdk-bookworm main # trailing',
    'deb [ arch=amd64 trusted=yes ] http://mirror.example/debian bookworm-updates main',
    'deb [broken http://x bookworm main',
    'garbage line',
  ].join('\n');
  const s = parseOneLineSources(text, '/etc/apt/sources.list');
  assert.equal(s.length, 4);
  assert.deepEqual(s[0], {
    types: ['deb'],
    uris: ['http://mirror.example/debian'],
    suites: ['bookworm'],
    components: ['main', 'contrib', 'non-free-firmware'],
    enabled: true,
    origin: '/etc/apt/sources.list:2',
  });
  assert.deepEqual(s[1]?.types, ['deb-src']);
  assert.deepEqual(s[2]?.architectures, ['amd64', 'arm64']);
  assert.deepEqual(s[2]?.signedBy, ['/usr/share/keyrings/x.gpg']);
  assert.deepEqual(s[2]?.components, ['main']);
  assert.deepEqual(s[3]?.architectures, ['amd64']);
  assert.equal(s[3]?.uris[0], 'http://mirror.example/debian');
});

test('deb822 sources: multi-value fields, comments inside, Enabled, inline key', () => {
  const text = `Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: https://nodejs.example/node_20.x
Suites: nodistro
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/nodesource.gpg

Types: deb deb-src
URIs: http://a.example/debian http://b.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb
URIs: http://c.example/debian
Suites: bookworm
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mDMEZ
 -----END PGP PUBLIC KEY BLOCK-----
`;
  const s = parseDeb822Sources(text, 'debian.sources');
  assert.equal(s.length, 4);
  assert.deepEqual(s[0]?.suites, ['bookworm', 'bookworm-updates']);
  assert.deepEqual(s[0]?.signedBy, ['/usr/share/keyrings/debian-archive-keyring.gpg']);
  assert.equal(s[0]?.enabled, true);
  assert.deepEqual(s[1]?.architectures, ['amd64']);
  assert.equal(s[2]?.enabled, false);
  assert.deepEqual(s[2]?.uris, ['http://a.example/debian', 'http://b.example/debian']);
  assert.deepEqual(s[2]?.types, ['deb', 'deb-src']);
  assert.equal(s[3]?.signedBy, undefined);
  assert.match(s[3]?.signedByKey ?? '', /BEGIN PGP PUBLIC KEY BLOCK[\s\S]*mDMEZ/);
});

test('candidateSources keeps enabled deb entries with the suite, main and the arch', () => {
  const s = [
    ...parseOneLineSources('deb https://vendor.example/apt cloud-sdk-bookworm main\n'),
    ...parseDeb822Sources(`Types: deb
URIs: http://mirror.example/debian
Suites: bookworm
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://arm.example/debian
Suites: bookworm
Components: main
Architectures: arm64

Types: deb
URIs: http://contrib.example/debian
Suites: bookworm
Components: contrib
`),
  ];
  const c = candidateSources(s, 'bookworm', 'amd64');
  assert.deepEqual(
    c.map((x) => x.uris[0]),
    ['http://mirror.example/debian'],
  );
  assert.deepEqual(
    candidateSources(s, 'bookworm', 'arm64').map((x) => x.uris[0]),
    ['http://mirror.example/debian', 'http://arm.example/debian'],
  );
});

test('os-release codename and reading a host tree', async () => {
  assert.equal(parseOsReleaseCodename('ID=debian\nVERSION_CODENAME=bookworm\n'), 'bookworm');
  assert.equal(parseOsReleaseCodename('VERSION_CODENAME="trixie"\n'), 'trixie');
  assert.equal(parseOsReleaseCodename('ID=fedora\n'), undefined);
  const root = await mkdtemp(join(tmpdir(), 'berth-apt-'));
  try {
    await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    await writeFile(join(root, 'etc/os-release'), 'ID=debian\n');
    await writeFile(join(root, 'etc/debian_version'), 'trixie/sid\n');
    await writeFile(join(root, 'etc/apt/sources.list'), 'deb http://one.example/debian trixie main\n');
    await writeFile(
      join(root, 'etc/apt/sources.list.d/b.sources'),
      'Types: deb\nURIs: http://three.example/debian\nSuites: trixie\nComponents: main\n',
    );
    await writeFile(join(root, 'etc/apt/sources.list.d/a.list'), 'deb http://two.example/debian trixie main\n');
    await writeFile(
      join(root, 'etc/apt/sources.list.d/c.list.disabled'),
      'deb http://nope.example/debian trixie main\n',
    );
    assert.equal(await hostDebianSuite(root), 'trixie');
    const s = await readHostAptSources(root);
    assert.deepEqual(
      s.map((x) => x.uris[0]),
      ['http://one.example/debian', 'http://two.example/debian', 'http://three.example/debian'],
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
