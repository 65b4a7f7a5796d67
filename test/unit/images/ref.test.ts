import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageRef, parseRegistryRef, type ImageRef } from '../../../src/images/ref.js';
import { ImageError } from '../../../src/core/errors.js';

const D = `sha256:${'a1'.repeat(32)}`;

function reg(input: string) {
  const r = parseImageRef(input);
  assert.equal(r.kind, 'registry', `${input} is a registry ref`);
  return r as Extract<ImageRef, { kind: 'registry' }>;
}

test('Docker defaults: docker.io, library/, latest', () => {
  const cases: [string, string, string, string][] = [
    // input, registry, repository, canonical
    ['alpine', 'docker.io', 'library/alpine', 'docker.io/library/alpine:latest'],
    ['alpine:3.20', 'docker.io', 'library/alpine', 'docker.io/library/alpine:3.20'],
    ['library/alpine', 'docker.io', 'library/alpine', 'docker.io/library/alpine:latest'],
    ['grafana/grafana:10.0.0', 'docker.io', 'grafana/grafana', 'docker.io/grafana/grafana:10.0.0'],
    ['docker.io/alpine', 'docker.io', 'library/alpine', 'docker.io/library/alpine:latest'],
    ['index.docker.io/library/alpine', 'docker.io', 'library/alpine', 'docker.io/library/alpine:latest'],
    ['registry-1.docker.io/x/y', 'docker.io', 'x/y', 'docker.io/x/y:latest'],
    ['ghcr.io/owner/repo/sub:v1.2.3', 'ghcr.io', 'owner/repo/sub', 'ghcr.io/owner/repo/sub:v1.2.3'],
    ['quay.io/a_b/c__d-e.f:TAG_1', 'quay.io', 'a_b/c__d-e.f', 'quay.io/a_b/c__d-e.f:TAG_1'],
    ['localhost/app', 'localhost', 'app', 'localhost/app:latest'],
    ['localhost:5000/app', 'localhost:5000', 'app', 'localhost:5000/app:latest'],
    ['127.0.0.1:5000/test/busybox:1', '127.0.0.1:5000', 'test/busybox', '127.0.0.1:5000/test/busybox:1'],
    ['[::1]:5000/app:x', '[::1]:5000', 'app', '[::1]:5000/app:x'],
    ['REGISTRY.Example.COM/app', 'registry.example.com', 'app', 'registry.example.com/app:latest'],
    ['my-host:443/a/b/c', 'my-host:443', 'a/b/c', 'my-host:443/a/b/c:latest'],
    ['docker://debian:bookworm', 'docker.io', 'library/debian', 'docker.io/library/debian:bookworm'],
    ['docker://busybox', 'docker.io', 'library/busybox', 'docker.io/library/busybox:latest'],
    ['a--b/c', 'docker.io', 'a--b/c', 'docker.io/a--b/c:latest'],
  ];
  for (const [input, registry, repository, canonical] of cases) {
    const r = reg(input);
    assert.equal(r.registry, registry, input);
    assert.equal(r.repository, repository, input);
    assert.equal(r.canonical, canonical, input);
  }
});

test('tags and digests', () => {
  let r = reg('alpine');
  assert.equal(r.tag, 'latest');
  assert.equal(r.digest, undefined);
  assert.equal(r.reference, 'latest');
  r = reg(`alpine@${D}`);
  assert.equal(r.tag, undefined);
  assert.equal(r.digest, D);
  assert.equal(r.reference, D);
  assert.equal(r.canonical, `docker.io/library/alpine@${D}`);
  r = reg(`localhost:5000/app:v1@${D}`);
  assert.equal(r.tag, 'v1');
  assert.equal(r.digest, D);
  assert.equal(r.reference, D, 'the digest wins');
  assert.equal(r.canonical, `localhost:5000/app:v1@${D}`);
  r = reg(`localhost:5000/app@${D}`);
  assert.equal(r.registry, 'localhost:5000');
  assert.equal(r.tag, undefined);
  assert.equal(reg(`x:${'t'.repeat(128)}`).tag, 't'.repeat(128));
  assert.equal(reg('x:_under').tag, '_under');
  assert.equal(reg('x:1.0-rc.1').tag, '1.0-rc.1');
  assert.equal(reg('ubuntu:22.04').repository, 'library/ubuntu', 'a name:tag is not a scheme');
});

test('schemes', () => {
  assert.deepEqual(parseImageRef('oci-archive:/tmp/img.tar'), {
    kind: 'oci-archive',
    path: '/tmp/img.tar',
    tag: undefined,
    canonical: 'oci-archive:/tmp/img.tar',
  });
  assert.deepEqual(parseImageRef('oci-archive:./img.tar:v1'), {
    kind: 'oci-archive',
    path: './img.tar',
    tag: 'v1',
    canonical: 'oci-archive:./img.tar:v1',
  });
  assert.deepEqual(parseImageRef('docker-archive:/tmp/saved.tar'), {
    kind: 'docker-archive',
    path: '/tmp/saved.tar',
    canonical: 'docker-archive:/tmp/saved.tar',
  });
  assert.deepEqual(parseImageRef('tar:/tmp/rootfs.tar.gz'), {
    kind: 'tar',
    source: '/tmp/rootfs.tar.gz',
    isUrl: false,
    canonical: 'tar:/tmp/rootfs.tar.gz',
  });
  assert.deepEqual(parseImageRef('tar:https://example.com/r.tar.xz'), {
    kind: 'tar',
    source: 'https://example.com/r.tar.xz',
    isUrl: true,
    canonical: 'tar:https://example.com/r.tar.xz',
  });
  assert.deepEqual(parseImageRef('tar:http://127.0.0.1:8080/r.tar'), {
    kind: 'tar',
    source: 'http://127.0.0.1:8080/r.tar',
    isUrl: true,
    canonical: 'tar:http://127.0.0.1:8080/r.tar',
  });
  assert.deepEqual(parseImageRef('dir:/srv/rootfs'), {
    kind: 'dir',
    path: '/srv/rootfs',
    canonical: 'dir:/srv/rootfs',
  });
  assert.deepEqual(parseImageRef('dir:relative/with:colon'), {
    kind: 'dir',
    path: 'relative/with:colon',
    canonical: 'dir:relative/with:colon',
  });
  assert.deepEqual(parseImageRef('debian:bookworm'), {
    kind: 'debian',
    suite: 'bookworm',
    variant: undefined,
    canonical: 'debian:bookworm',
  });
  assert.deepEqual(parseImageRef('debian:stable/minbase'), {
    kind: 'debian',
    suite: 'stable',
    variant: 'minbase',
    canonical: 'debian:stable/minbase',
  });
  for (const b of ['busybox', 'busybox:latest', 'builtin:busybox']) {
    assert.deepEqual(parseImageRef(b), { kind: 'builtin', name: 'busybox', canonical: 'builtin:busybox' }, b);
  }
  assert.equal(parseImageRef('busybox:1.36').kind, 'registry', "a tagged busybox is Docker Hub's");
  assert.equal(parseImageRef('docker.io/library/debian:bookworm').kind, 'registry');
});

test('malformed references: ImageError bad-ref, one line, with a fix', () => {
  const badRefs = [
    '',
    '   ',
    ' alpine',
    'alpine ',
    'Alpine',
    'docker.io/Library/alpine',
    'ghcr.io/Owner/x',
    'alpine:',
    'alpine:-x',
    'alpine:.x',
    `alpine:${'t'.repeat(129)}`,
    'alpine:a/b',
    'alpine:tag with space',
    'alpine@',
    'alpine@sha256:abc',
    `alpine@sha256:${'A'.repeat(64)}`,
    `alpine@sha512:${'a'.repeat(128)}`,
    `alpine@md5:${'a'.repeat(32)}`,
    '/alpine',
    'alpine/',
    'a//b',
    'a/-b',
    'a/b-',
    'a/b_',
    'a/b...c',
    'a/.b',
    'a___b/c',
    'localhost:5000/',
    'localhost:0/x',
    'localhost:65536/x',
    'localhost:abc/x',
    'host:/x',
    'bad_host.com/x',
    '-host.com/x',
    '[::1/x',
    ':5000/x',
    `x/${'a'.repeat(260)}`,
    'docker://',
    'docker://Alpine',
    'oci-archive:',
    'docker-archive:',
    'dir:',
    'tar:',
    'tar:ftp://host/x.tar',
    'tar:file:///x.tar',
    'debian:',
    'debian:Bookworm',
    'debian:bookworm/',
    'debian:bookworm/Min',
    'debian:a/b/c',
    'debian:-x',
    'builtin:alpine',
    'builtin:',
    `@${D}`,
    ':tag',
    'a b',
  ];
  for (const input of badRefs) {
    assert.throws(
      () => parseImageRef(input),
      (e: unknown) => {
        assert.ok(e instanceof ImageError, `${JSON.stringify(input)} throws ImageError, got ${String(e)}`);
        assert.equal(e.code, 'bad-ref', JSON.stringify(input));
        assert.ok(e.fix && e.fix.length > 0, `${JSON.stringify(input)} has a fix`);
        assert.ok(!e.oneLine().includes('\n'));
        return true;
      },
      JSON.stringify(input),
    );
  }
});

test('uppercase repository: the fix spells the lowercase name', () => {
  assert.throws(
    () => parseImageRef('localhost:5000/MyApp'),
    (e: ImageError) => e.fix === 'write myapp',
  );
});

test('parseRegistryRef directly', () => {
  const r = parseRegistryRef('127.0.0.1:5000/test/busybox:1');
  assert.equal(r.name, '127.0.0.1:5000/test/busybox');
  assert.equal(r.reference, '1');
});
