/** Pure parts of the image sources: digests, index keys, registry hosts, auth file locations, decompression by magic. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { normalizeSha256, tarCanonical } from '../../../src/images/sources/tar-image.js';
import { canonicalOf } from '../../../src/images/sources/index.js';
import { parseImageRef, registryHost } from '../../../src/images/ref.js';
import { authFiles, loginAuthFile } from '../../../src/images/registry/auth.js';
import { openDecompressed } from '../../../src/images/unpack/decompress.js';
import { ImageError } from '../../../src/core/errors.js';

test('--sha256 accepts 64 hex digits with or without sha256:, nothing else', () => {
  const hex = 'A'.repeat(64);
  assert.equal(normalizeSha256(hex), `sha256:${'a'.repeat(64)}`);
  assert.equal(normalizeSha256(`sha256:${'b'.repeat(64)}`), `sha256:${'b'.repeat(64)}`);
  for (const bad of ['', 'abc', 'g'.repeat(64), `sha512:${'a'.repeat(64)}`, 'a'.repeat(65)]) {
    assert.throws(
      () => normalizeSha256(bad),
      (e: ImageError) => e.code === 'bad-sha256',
    );
  }
});

test('index keys: local paths absolute, URLs and registry refs as written', () => {
  const cwd = process.cwd();
  assert.equal(canonicalOf(parseImageRef('tar:rootfs.tar.gz')), `tar:${cwd}/rootfs.tar.gz`);
  assert.equal(canonicalOf(parseImageRef('tar:http://h.example/r.tar')), 'tar:http://h.example/r.tar');
  assert.equal(canonicalOf(parseImageRef('oci-archive:a.tar:v1')), `oci-archive:${cwd}/a.tar:v1`);
  assert.equal(canonicalOf(parseImageRef('oci-archive:/x/a.tar')), 'oci-archive:/x/a.tar');
  assert.equal(canonicalOf(parseImageRef('docker-archive:./d.tar')), `docker-archive:${cwd}/d.tar`);
  assert.equal(canonicalOf(parseImageRef('alpine')), 'docker.io/library/alpine:latest');
  const t = parseImageRef('tar:/abs/r.tar');
  assert.equal(t.kind === 'tar' && tarCanonical(t), 'tar:/abs/r.tar');
});

test('registry hosts for login are normalised like references', () => {
  assert.equal(registryHost('localhost:5000'), 'localhost:5000');
  assert.equal(registryHost('https://Registry.Example:443/'), 'registry.example:443');
  assert.equal(registryHost('index.docker.io'), 'docker.io');
  assert.equal(registryHost('[::1]:5000'), '[::1]:5000');
  for (const bad of ['', 'a/b', 'host:99999', 'bad_host']) assert.throws(() => registryHost(bad), ImageError, bad);
});

test("auth files: REGISTRY_AUTH_FILE, else Podman's runtime file; then Docker's config", () => {
  assert.equal(loginAuthFile({ REGISTRY_AUTH_FILE: '/x/auth.json', XDG_RUNTIME_DIR: '/run/user/7' }), '/x/auth.json');
  assert.equal(loginAuthFile({ XDG_RUNTIME_DIR: '/run/user/7' }), '/run/user/7/containers/auth.json');
  assert.deepEqual(authFiles({ XDG_RUNTIME_DIR: '/r', HOME: '/home/u' }), [
    '/r/containers/auth.json',
    '/home/u/.docker/config.json',
  ]);
  assert.deepEqual(authFiles({ REGISTRY_AUTH_FILE: '/a.json', DOCKER_CONFIG: '/d', HOME: '/h' }), [
    '/a.json',
    '/d/config.json',
  ]);
});

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

test('decompression is chosen by magic bytes and limited to what the caller allows', async () => {
  const data = Buffer.from('some tar bytes, really'.repeat(100));
  const gz = await openDecompressed(Readable.from([gzipSync(data)]), ['gzip', 'none'], 'x');
  assert.equal(gz.detected, 'gzip');
  assert.deepEqual(await collect(gz.tar), data);
  const plain = await openDecompressed(Readable.from([data.subarray(0, 3), data.subarray(3)]), ['none'], 'x');
  assert.equal(plain.detected, 'none');
  assert.deepEqual(await collect(plain.tar), data, 'the peeked head is not lost');
  await assert.rejects(
    openDecompressed(
      Readable.from([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1])]),
      ['gzip', 'zstd', 'none'],
      'layer',
    ),
    (e: ImageError) => e.code === 'compression' && /layer is xz-compressed/.test(e.message),
  );
});
