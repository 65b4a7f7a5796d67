import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore, DigestMismatchError, hashFile, sha256Digest } from '../../../src/images/store/blob-store.js';
import { ImageIndex } from '../../../src/images/store/image-index.js';
import { garbageCollect, reachableFrom } from '../../../src/images/store/gc.js';
import type { ImageError } from '../../../src/core/errors.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-store-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('putBytes stores at blobs/sha256/<hex>, idempotent, verified', async () => {
  const s = new BlobStore(tmp());
  const data = Buffer.from('hello blob');
  const d = s.putBytes(data);
  assert.equal(d, sha256Digest(data));
  assert.equal(s.path(d), join(s.imagesDir, 'blobs', 'sha256', d.slice(7)));
  assert.ok(s.has(d));
  assert.deepEqual(s.read(d), data);
  assert.equal(s.putBytes(data), d);
  assert.throws(() => s.putBytes(Buffer.from('other'), d), DigestMismatchError);
  assert.deepEqual(readdirSync(s.tmpDir), [], 'no temp files left');
  assert.deepEqual(await hashFile(s.path(d)), { digest: d, size: data.length });
});

test('commit: a wrong temp file never reaches the final path', async () => {
  const s = new BlobStore(tmp());
  s.ensureDirs();
  const good = Buffer.from('good content');
  const d = sha256Digest(good);
  const p = s.partialPath(d);
  writeFileSync(p, 'evil content');
  await assert.rejects(
    s.commit(d, p, 'test blob'),
    (e: unknown) =>
      e instanceof DigestMismatchError && e.code === 'digest-mismatch' && /expected sha256:/.test(e.message),
  );
  assert.equal(s.has(d), false);
  assert.equal(existsSync(p), false, 'bad temp file removed');
  writeFileSync(p, good);
  await assert.rejects(s.commit(d, p, 'test blob', undefined, 5), (e: ImageError) => e.code === 'size-mismatch');
  assert.equal(s.has(d), false);
  writeFileSync(p, good);
  await s.commit(d, p, 'test blob', undefined, good.length);
  assert.ok(s.has(d));
  assert.equal(existsSync(p), false);
});

test('malformed digests are refused', () => {
  const s = new BlobStore(tmp());
  for (const bad of ['sha256:abc', `sha512:${'a'.repeat(128)}`, '../../etc/passwd', `sha256:${'A'.repeat(64)}`]) {
    assert.throws(
      () => s.path(bad),
      (e: ImageError) => e.code === 'bad-digest',
      bad,
    );
  }
});

test('per-blob lock: concurrent writers of one digest run one at a time', async () => {
  const s = new BlobStore(tmp());
  const d = sha256Digest('x');
  let inside = 0;
  let maxInside = 0;
  let downloads = 0;
  const writer = () =>
    s.withLock(d, async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      if (!s.has(d)) {
        downloads++;
        await new Promise((r) => setTimeout(r, 30));
        s.putBytes(Buffer.from('x'));
      }
      inside--;
    });
  await Promise.all([writer(), writer(), writer(), writer()]);
  assert.equal(maxInside, 1);
  assert.equal(downloads, 1, 'downloaded once');
  assert.equal(existsSync(s.lockPath(d)), false, 'lock released');
});

test('a stale per-blob lock (dead pid) is taken over', async () => {
  const s = new BlobStore(tmp());
  s.ensureDirs();
  const d = sha256Digest('y');
  writeFileSync(s.lockPath(d), '999999999 1\n');
  const r = await s.withLock(d, async () => 42, 2000);
  assert.equal(r, 42);
});

test('image index: put, get, replace, remove; OCI index shape; atomic file', async () => {
  const dir = tmp();
  const idx = new ImageIndex(dir);
  assert.deepEqual(idx.list(), []);
  const a = sha256Digest('a');
  const b = sha256Digest('b');
  await idx.put({
    ref: 'docker.io/library/alpine:latest',
    digest: a,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    size: 10,
    manifestDigest: b,
  });
  await idx.put({
    ref: 'localhost:5000/app:1',
    digest: b,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 20,
    manifestDigest: b,
  });
  const raw = JSON.parse(readFileSync(join(dir, 'oci', 'index.json'), 'utf8'));
  assert.equal(raw.schemaVersion, 2);
  assert.equal(raw.manifests.length, 2);
  assert.equal(raw.manifests[0].annotations['org.opencontainers.image.ref.name'], 'docker.io/library/alpine:latest');
  assert.ok(existsSync(join(dir, 'oci', 'oci-layout')));
  assert.equal(idx.get('docker.io/library/alpine:latest')?.manifestDigest, b);
  assert.equal(idx.get('localhost:5000/app:1')?.manifestDigest, b);
  await idx.put({
    ref: 'localhost:5000/app:1',
    digest: a,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 20,
    manifestDigest: a,
  });
  assert.equal(idx.list().length, 2);
  assert.equal(idx.get('localhost:5000/app:1')?.digest, a);
  assert.equal(await idx.remove('localhost:5000/app:1'), true);
  assert.equal(await idx.remove('localhost:5000/app:1'), false);
  assert.equal(idx.list().length, 1);
  assert.deepEqual(readdirSync(join(dir, 'oci')).sort(), ['index.json', 'oci-layout'], 'no temp or lock files left');
  // Concurrent puts all land (the lock serialises read-modify-write).
  await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      idx.put({ ref: `r/${i}:t`, digest: a, mediaType: 'm', size: 1, manifestDigest: a }),
    ),
  );
  assert.equal(idx.list().length, 9);
});

test('a corrupt index is an ImageError with a fix', () => {
  const dir = tmp();
  const idx = new ImageIndex(dir);
  mkdirSync(join(dir, 'oci'), { recursive: true });
  writeFileSync(join(dir, 'oci', 'index.json'), '{not json');
  assert.throws(
    () => idx.list(),
    (e: ImageError) => e.code === 'index-corrupt' && !!e.fix,
  );
});

/** Build a fake image in the store: index -> manifest -> config + layers. */
function fakeImage(s: BlobStore, tag: string) {
  const layer1 = s.putBytes(Buffer.from(`layer1-${tag}`));
  const shared = s.putBytes(Buffer.from('shared-layer'));
  const config = s.putBytes(Buffer.from(JSON.stringify({ os: 'linux', tag })));
  const manifest = s.putBytes(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 1 },
        layers: [layer1, shared].map((digest) => ({
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest,
          size: 1,
        })),
      }),
    ),
  );
  const index = s.putBytes(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: manifest,
            size: 1,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    ),
  );
  return { layer1, shared, config, manifest, index };
}

test('garbage collection removes exactly the unreferenced blobs (after the grace period)', async () => {
  const dir = tmp();
  const s = new BlobStore(dir);
  const idx = new ImageIndex(dir);
  const one = fakeImage(s, 'one');
  const two = fakeImage(s, 'two');
  const orphan = s.putBytes(Buffer.from('orphan'));
  await idx.put({
    ref: 'x/one:1',
    digest: one.index,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    size: 1,
    manifestDigest: one.manifest,
  });
  await idx.put({
    ref: 'x/two:1',
    digest: two.manifest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 1,
    manifestDigest: two.manifest,
  });
  assert.deepEqual(
    [...reachableFrom(s, one.index)].sort(),
    [one.index, one.manifest, one.config, one.layer1, one.shared].sort(),
  );

  // Within the grace period nothing goes (a pull may be storing blobs right now).
  let r = await garbageCollect(dir);
  assert.deepEqual(r.removed, []);
  assert.ok(s.has(orphan));
  // An abandoned partial download and the orphan, once old enough, go.
  const partial = s.partialPath(sha256Digest('never finished'));
  writeFileSync(partial, 'half');
  const old = new Date(Date.now() - 2 * 3600_000);
  utimesSync(partial, old, old);
  r = await garbageCollect(dir, { graceMs: 0 });
  assert.deepEqual(
    r.removed.sort(),
    [orphan, two.index].sort(),
    'image two was recorded by its manifest: its index is garbage',
  );
  assert.equal(r.removedTemp, 1);
  assert.equal(s.has(orphan), false);
  assert.equal(r.kept, 8, 'index+manifest+config+layer1 of one, manifest+config+layer1 of two, the shared layer');

  // Removing image one frees its own blobs but not the shared layer.
  await idx.remove('x/one:1');
  r = await garbageCollect(dir, { graceMs: 0, dryRun: true });
  assert.deepEqual(r.removed.sort(), [one.index, one.manifest, one.config, one.layer1].sort());
  assert.ok(s.has(one.index), 'dry run deletes nothing');
  r = await garbageCollect(dir, { graceMs: 0 });
  assert.equal(r.removed.length, 4);
  assert.ok(s.has(one.shared) && s.has(two.layer1) && s.has(two.config) && s.has(two.manifest));
  assert.equal(s.has(one.layer1), false);

  // A blob whose lock is held is spared.
  await idx.remove('x/two:1');
  s.ensureDirs();
  writeFileSync(s.lockPath(two.layer1), `${process.pid} 0\n`);
  r = await garbageCollect(dir, { graceMs: 0 });
  assert.ok(s.has(two.layer1));
  assert.equal(s.has(two.manifest), false);
});
