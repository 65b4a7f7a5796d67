import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRelease, parseSha256Field } from '../../../src/images/debian/release.js';
import { findPackage, toPackageEntry } from '../../../src/images/debian/packages-index.js';
import { parseParagraphs } from '../../../src/images/debian/deb822.js';

const H1 = 'a'.repeat(64);
const H2 = 'B'.repeat(64);

test('InRelease fields and the SHA256 list', () => {
  const text = `Origin: Debian
Label: Debian
Suite: stable
Codename: bookworm
Date: Sat, 10 May 2025 08:51:40 UTC
Valid-Until: Sat, 17 May 2025 08:51:40 UTC
Architectures: all amd64 arm64
Components: main contrib
MD5Sum:
 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all
SHA256:
 ${H1}   738242 contrib/binary-all/Packages
 ${H2} 8798888 main/binary-amd64/Packages.gz
 nothex 12 main/binary-amd64/Packages.xz
`;
  const r = parseRelease(text);
  assert.equal(r.origin, 'Debian');
  assert.equal(r.suite, 'stable');
  assert.equal(r.codename, 'bookworm');
  assert.equal(r.validUntil?.toISOString(), '2025-05-17T08:51:40.000Z');
  assert.equal(r.sha256.size, 2);
  assert.deepEqual(r.sha256.get('contrib/binary-all/Packages'), { sha256: H1, size: 738242 });
  assert.deepEqual(r.sha256.get('main/binary-amd64/Packages.gz'), { sha256: H2.toLowerCase(), size: 8798888 });
  assert.equal(r.sha256.has('contrib/Contents-all'), false, 'MD5Sum lines are not SHA256');
  assert.equal(parseSha256Field('').size, 0);
});

test('deb822 paragraphs: continuation lines and dots', () => {
  const [p] = parseParagraphs('Package: x\nDescription: short\n long line\n .\n more\n');
  assert.equal(p?.get('description'), 'short\nlong line\n\nmore');
});

const PACKAGES = `Package: busybox
Version: 1:1.35.0-4+b3
Architecture: amd64
Filename: pool/main/b/busybox/busybox_1.35.0-4+b3_amd64.deb
Size: 100
SHA256: ${H1}

Package: busybox-static
Source: busybox (1:1.35.0-4)
Version: 1:1.35.0-4+b3
Installed-Size: 1950
Architecture: arm64
Filename: pool/main/b/busybox/busybox-static_1.35.0-4+b3_arm64.deb
Size: 800000
SHA256: ${H2}

Package: busybox-static
Version: 1:1.35.0-4+b3
Architecture: amd64
Description: Standalone rescue shell
 with tons of builtin utilities
Filename: pool/main/b/busybox/busybox-static_1.35.0-4+b3_amd64.deb
Size: 928188
SHA256: ${H1}
`;

test('Packages: finds the stanza for the name and arch', () => {
  const e = findPackage(PACKAGES, 'busybox-static', 'amd64');
  assert.deepEqual(e, {
    package: 'busybox-static',
    version: '1:1.35.0-4+b3',
    architecture: 'amd64',
    filename: 'pool/main/b/busybox/busybox-static_1.35.0-4+b3_amd64.deb',
    sha256: H1,
    size: 928188,
  });
  assert.equal(findPackage(PACKAGES, 'busybox-static', 'arm64')?.size, 800000);
  assert.equal(findPackage(PACKAGES, 'busybox-static', 'riscv64'), undefined);
  assert.equal(findPackage(PACKAGES, 'busybox', 'amd64')?.size, 100);
  assert.equal(findPackage(PACKAGES, 'busy', 'amd64'), undefined);
  assert.equal(findPackage('X-Package: busybox\nPackage: nope\n', 'busybox', 'amd64'), undefined);
});

test('Packages: refuses stanzas with missing fields or escaping filenames', () => {
  const base = `Package: p\nVersion: 1\nArchitecture: all\nSize: 1\nSHA256: ${H1}\n`;
  assert.ok(toPackageEntry(`${base}Filename: pool/main/p/p.deb\n`));
  assert.equal(toPackageEntry(`${base}Filename: ../../etc/passwd\n`), undefined);
  assert.equal(toPackageEntry(`${base}Filename: /abs/p.deb\n`), undefined);
  assert.equal(toPackageEntry(`${base}Filename: http://evil/p.deb\n`), undefined);
  assert.equal(toPackageEntry(`Package: p\nVersion: 1\nArchitecture: all\nFilename: a.deb\nSize: 1\n`), undefined);
  assert.equal(toPackageEntry(`${base.replace(H1, 'xyz')}Filename: a.deb\n`), undefined);
});
