/**
 * The client's auth flows against a small FAKE registry + token server (node http on
 * 127.0.0.1): docker-registry's `auth: token:` needs a JWT-signing cert bundle, left for
 * later. The fake is used only for authentication; real-registry behaviour is in
 * registry-pull.test.ts. Also the pure pieces: challenge parsing, credentials, platforms.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseChallenges, findCredentials } from '../../../src/images/registry/auth.js';
import { goArch, selectPlatform } from '../../../src/images/registry/platform.js';
import { parseRegistryRef } from '../../../src/images/ref.js';
import { pullImage } from '../../../src/images/registry/pull.js';
import { ImageError } from '../../../src/core/errors.js';
import { sha } from './fixtures.js';

let work = '';
let server: Server | undefined;
let host = '';
const log: string[] = [];
const layer = gzipSync(Buffer.from('not really a tar'));
const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: goArch(), config: { Cmd: ['/x'] } }));
const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(config), size: config.length },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha(layer), size: layer.length },
    ],
  }),
);
const blobs = new Map([
  [sha(config), config],
  [sha(layer), layer],
]);
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-regauth-'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    log.push(`${req.method} ${url.pathname}${url.search} auth=${req.headers.authorization ?? '-'}`);
    if (url.pathname === '/token') {
      if (req.headers.authorization !== basic('alice', 's3cret')) {
        res.writeHead(401).end();
        return;
      }
      if (
        url.searchParams.get('service') !== 'fake-registry' ||
        url.searchParams.get('scope') !== 'repository:bearer/img:pull'
      ) {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok-123' }));
      return;
    }
    const m = /^\/v2\/(bearer|basic)\/img\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [, kind, what, ref] = m;
    const ok =
      kind === 'bearer'
        ? req.headers.authorization === 'Bearer tok-123'
        : req.headers.authorization === basic('alice', 's3cret');
    if (!ok) {
      res
        .writeHead(401, {
          'www-authenticate':
            kind === 'bearer'
              ? `Bearer realm="http://${host}/token",service="fake-registry",scope="repository:bearer/img:pull"`
              : 'Basic realm="fake"',
        })
        .end();
      return;
    }
    if (what === 'manifests') {
      if (ref !== 'v1' && ref !== sha(manifest)) {
        res.writeHead(404).end();
        return;
      }
      res
        .writeHead(200, {
          'content-type': 'application/vnd.docker.distribution.manifest.v2+json',
          'docker-content-digest': sha(manifest),
        })
        .end(manifest);
      return;
    }
    const blob = blobs.get(ref!);
    if (!blob) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(blob);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const a = server.address();
  host = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});

after(async () => {
  await new Promise((r) => server?.close(r));
  if (work) await rm(work, { recursive: true, force: true });
});

async function authFile(user: string, pass: string): Promise<string> {
  const f = join(work, `auth-${user}-${pass}.json`);
  await writeFile(
    f,
    JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${pass}`).toString('base64') } } }),
  );
  return f;
}

test('bearer: 401 challenge, token from the realm with service, scope and basic credentials', async () => {
  log.length = 0;
  const dir = await mkdtemp(join(work, 'store-'));
  const img = await pullImage(parseRegistryRef(`${host}/bearer/img:v1`), {
    imagesDir: dir,
    insecure: [host],
    authFiles: [await authFile('alice', 's3cret')],
  });
  assert.equal(img.digest, sha(manifest));
  assert.equal(img.layers[0]?.compression, 'gzip');
  assert.equal(img.stats.blobsDownloaded, 2);
  assert.equal(
    log.filter((l) => l.startsWith('GET /token')).length,
    1,
    `one token fetch, then cached:\n${log.join('\n')}`,
  );
  assert.ok(log.some((l) => /manifests\/v1 auth=Bearer tok-123/.test(l)));
});

test('bearer with wrong credentials: registry-auth error with a fix', async () => {
  const dir = await mkdtemp(join(work, 'store-'));
  await assert.rejects(
    pullImage(parseRegistryRef(`${host}/bearer/img:v1`), {
      imagesDir: dir,
      insecure: [host],
      authFiles: [await authFile('alice', 'wrong')],
    }),
    (e: ImageError) => e instanceof ImageError && e.code === 'registry-auth' && /credentials/.test(e.fix ?? ''),
  );
});

test('basic challenge answered from the auth file; anonymous gets registry-auth', async () => {
  const dir = await mkdtemp(join(work, 'store-'));
  const img = await pullImage(parseRegistryRef(`${host}/basic/img:v1`), {
    imagesDir: dir,
    insecure: [host],
    authFiles: [await authFile('alice', 's3cret')],
  });
  assert.equal(img.configDigest, sha(config));
  await assert.rejects(
    pullImage(parseRegistryRef(`${host}/basic/img:v1`), { imagesDir: dir, insecure: [host], authFiles: [] }),
    (e: ImageError) => e.code === 'registry-auth' && /REGISTRY_AUTH_FILE/.test(e.fix ?? ''),
  );
});

test('WWW-Authenticate parsing', () => {
  assert.deepEqual(
    parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
    ),
    [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/alpine:pull',
        },
      },
    ],
  );
  assert.deepEqual(parseChallenges('Basic realm="a, b \\"q\\""'), [{ scheme: 'basic', params: { realm: 'a, b "q"' } }]);
  assert.deepEqual(parseChallenges('Basic realm=x, Bearer realm="https://t/", service=s'), [
    { scheme: 'basic', params: { realm: 'x' } },
    { scheme: 'bearer', params: { realm: 'https://t/', service: 's' } },
  ]);
  assert.deepEqual(parseChallenges('Bearer realm="https://t/",scope="repository:a/b:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://t/', scope: 'repository:a/b:pull,push' } },
  ]);
  assert.deepEqual(parseChallenges(''), []);
});

test('credentials from auth files: first file wins, Docker Hub aliases', async () => {
  const f1 = join(work, 'c1.json');
  const f2 = join(work, 'c2.json');
  await writeFile(
    f1,
    JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') } } }),
  );
  await writeFile(
    f2,
    JSON.stringify({
      auths: {
        'ghcr.io': { auth: Buffer.from('gh:tok:en').toString('base64') },
        'https://index.docker.io/v1/': { auth: Buffer.from('other:x').toString('base64') },
      },
    }),
  );
  assert.deepEqual(findCredentials('docker.io', [join(work, 'absent.json'), f1, f2]), {
    username: 'hub',
    password: 'pw',
  });
  assert.deepEqual(findCredentials('ghcr.io', [f1, f2]), { username: 'gh', password: 'tok:en' });
  assert.equal(findCredentials('quay.io', [f1, f2]), undefined);
});

test('platform selection and GOARCH mapping', () => {
  assert.equal(goArch('x64'), 'amd64');
  assert.equal(goArch('arm64'), 'arm64');
  const e = (architecture: string, variant?: string, extra: object = {}) => ({
    digest: `${architecture}${variant ?? ''}`,
    size: 1,
    platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) },
    ...extra,
  });
  const list = [e('amd64'), e('arm', 'v6'), e('arm', 'v7'), e('arm64', 'v8'), e('ppc64le')];
  assert.equal(selectPlatform(list, { os: 'linux', architecture: 'amd64' }, 'x').digest, 'amd64');
  assert.equal(selectPlatform(list, { os: 'linux', architecture: 'arm64' }, 'x').digest, 'arm64v8');
  assert.equal(selectPlatform(list, { os: 'linux', architecture: 'arm', variant: 'v7' }, 'x').digest, 'armv7');
  const att = [
    {
      digest: 'att',
      size: 1,
      platform: { os: 'linux', architecture: 'amd64' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
    },
    e('amd64'),
  ];
  assert.equal(selectPlatform(att, { os: 'linux', architecture: 'amd64' }, 'x').digest, 'amd64');
  assert.throws(
    () => selectPlatform(list, { os: 'linux', architecture: 's390x' }, 'img'),
    (err: ImageError) => err.code === 'no-platform' && /linux\/amd64, linux\/arm\/v6/.test(err.message),
  );
});
