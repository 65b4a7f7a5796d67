/**
 * pullImage end to end against a REAL registry: Debian's docker-registry (distribution 2.8)
 * on 127.0.0.1, filled by skopeo from an OCI layout this test builds. Under CI=true a missing
 * docker-registry or skopeo fails the test; locally it skips with the reason.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireThat } from '../../helpers/requirements.js';
import { parseRegistryRef } from '../../../src/images/ref.js';
import { pullImage, imageConfigOf, type PullOptions } from '../../../src/images/registry/pull.js';
import { hostPlatform } from '../../../src/images/registry/platform.js';
import { BlobStore, hashFile } from '../../../src/images/store/blob-store.js';
import { ImageIndex } from '../../../src/images/store/image-index.js';
import { garbageCollect } from '../../../src/images/store/gc.js';
import { ImageError } from '../../../src/core/errors.js';
import { buildLayout, ensureTools, skopeoPush, startRegistry, type Layout, type RunningRegistry } from './fixtures.js';

let work = '';
let layout: Layout | undefined;
let registry: RunningRegistry | undefined;
let missing = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-registry-'));
  const lacking = await ensureTools();
  if (lacking.length > 0) {
    missing = `${lacking.join(' and ')} not installed (apt-get install ${lacking.join(' ')})`;
    return;
  }
  layout = await buildLayout(work);
  registry = await startRegistry(work);
  await skopeoPush(layout.dir, '1', `${registry.host}/test/busybox:1`);
  await skopeoPush(layout.dir, 'multi', `${registry.host}/test/multi:1`, true);
});

after(async () => {
  await registry?.stop();
  if (work && !process.env.BERTH_KEEP_REGISTRY) await rm(work, { recursive: true, force: true });
});

function ready(t: TestContext): boolean {
  return requireThat(t, missing === '', missing);
}

let storeN = 0;
async function freshStore(): Promise<string> {
  return mkdtemp(join(work, `store-${storeN++}-`));
}

function opts(imagesDir: string, extra: Partial<PullOptions> = {}): PullOptions {
  return { imagesDir, insecure: [registry!.host], authFiles: [], ...extra };
}

test('pull by tag: manifest, config and both layers, verified, recorded; a second pull downloads nothing', async (t) => {
  if (!ready(t)) return;
  const dir = await freshStore();
  const ref = parseRegistryRef(`${registry!.host}/test/busybox:1`);
  const img = await pullImage(ref, opts(dir));
  assert.equal(img.digest, layout!.single.manifestDigest, 'skopeo kept the manifest byte for byte');
  assert.equal(img.manifestDigest, img.digest);
  assert.equal(img.manifestMediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(img.configDigest, layout!.single.configDigest);
  assert.equal(img.config.os, 'linux');
  assert.deepEqual(imageConfigOf(img.config).cmd, ['/bin/hello']);
  assert.equal(imageConfigOf(img.config).env.PATH, '/bin');
  assert.equal(img.layers.length, 2);
  const store = new BlobStore(dir);
  for (const [i, l] of img.layers.entries()) {
    assert.equal(l.compression, 'gzip');
    assert.equal(l.digest, layout!.single.layers[i]!.digest);
    assert.equal(l.path, store.path(l.digest));
    assert.deepEqual(await hashFile(l.path), { digest: l.digest, size: l.size });
  }
  assert.ok(store.has(img.configDigest) && store.has(img.digest));
  assert.equal(img.stats.blobsDownloaded, 3);
  assert.deepEqual(readdirSync(store.tmpDir), [], 'no temp files');
  assert.deepEqual(readdirSync(store.locksDir), [], 'no locks left');
  const rec = new ImageIndex(dir).get(`${registry!.host}/test/busybox:1`);
  assert.equal(rec?.digest, img.digest);

  const again = await pullImage(ref, opts(dir));
  assert.equal(again.digest, img.digest);
  assert.deepEqual(again.stats, { blobsDownloaded: 0, bytesDownloaded: 0, blobsResumed: 0, blobsPresent: 3 });
});

test('pull by digest', async (t) => {
  if (!ready(t)) return;
  const dir = await freshStore();
  const ref = parseRegistryRef(`${registry!.host}/test/busybox@${layout!.single.manifestDigest}`);
  const img = await pullImage(ref, opts(dir));
  assert.equal(img.digest, layout!.single.manifestDigest);
  assert.equal(img.stats.blobsDownloaded, 3);
  assert.equal(
    new ImageIndex(dir).get(`${registry!.host}/test/busybox@${layout!.single.manifestDigest}`)?.digest,
    img.digest,
  );
});

test("an index selects this machine's platform; another platform on request; a missing one is an error", async (t) => {
  if (!ready(t)) return;
  const dir = await freshStore();
  const ref = parseRegistryRef(`${registry!.host}/test/multi:1`);
  const img = await pullImage(ref, opts(dir));
  assert.equal(img.digest, layout!.indexDigest);
  assert.equal(img.manifestDigest, layout!.single.manifestDigest);
  assert.equal(img.layers.length, 2);
  assert.equal(img.config.architecture, hostPlatform().architecture);
  const rec = new ImageIndex(dir).get(ref.canonical);
  assert.equal(rec?.digest, layout!.indexDigest);
  assert.equal(rec?.manifestDigest, layout!.single.manifestDigest);

  const other = await pullImage(ref, opts(dir, { platform: { os: 'linux', architecture: layout!.otherArch } }));
  assert.equal(other.manifestDigest, layout!.other.manifestDigest);
  assert.equal(other.layers.length, 1);

  await assert.rejects(
    pullImage(ref, opts(dir, { platform: { os: 'linux', architecture: 's390x' } })),
    (e: ImageError) => e instanceof ImageError && e.code === 'no-platform' && /linux\/s390x/.test(e.message) && !!e.fix,
  );
});

test('a truncated download resumes with Range; a bad partial file is replaced', async (t) => {
  if (!ready(t)) return;
  const dir = await freshStore();
  const store = new BlobStore(dir);
  store.ensureDirs();
  const big = layout!.single.layers[0]!;
  const half = Math.floor(big.size / 2);
  writeFileSync(store.partialPath(big.digest), big.data.subarray(0, half));
  const img = await pullImage(parseRegistryRef(`${registry!.host}/test/busybox:1`), opts(dir));
  assert.equal(img.stats.blobsResumed, 1);
  const total = layout!.single.layers.reduce((n, l) => n + l.size, 0);
  assert.ok(
    img.stats.bytesDownloaded < total,
    `fetched ${img.stats.bytesDownloaded} < ${total}: only the rest of the resumed layer`,
  );
  assert.deepEqual(await hashFile(store.path(big.digest)), { digest: big.digest, size: big.size });

  // A partial file with wrong bytes: resumed, fails verification, downloaded whole once more.
  const dir2 = await freshStore();
  const store2 = new BlobStore(dir2);
  store2.ensureDirs();
  writeFileSync(store2.partialPath(big.digest), Buffer.alloc(half, 0x55));
  const img2 = await pullImage(parseRegistryRef(`${registry!.host}/test/busybox:1`), opts(dir2));
  assert.equal(img2.stats.blobsDownloaded, 3);
  assert.deepEqual(await hashFile(store2.path(big.digest)), { digest: big.digest, size: big.size });
});

test('concurrent pulls of one image into one store download each blob once', async (t) => {
  if (!ready(t)) return;
  const dir = await freshStore();
  const ref = parseRegistryRef(`${registry!.host}/test/busybox:1`);
  const results = await Promise.all([pullImage(ref, opts(dir)), pullImage(ref, opts(dir)), pullImage(ref, opts(dir))]);
  assert.equal(
    results.reduce((n, r) => n + r.stats.blobsDownloaded, 0),
    3,
  );
  assert.equal(new ImageIndex(dir).list().length, 1);
});

test('a corrupted blob in the registry: digest mismatch, nothing at the final path', async (t) => {
  if (!ready(t)) return;
  const dir = await freshStore();
  const layer = layout!.single.layers[1]!;
  const data = registry!.blobDataPath(layer.digest);
  const original = readFileSync(data);
  const flipped = Buffer.from(original);
  flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
  writeFileSync(data, flipped);
  try {
    await assert.rejects(pullImage(parseRegistryRef(`${registry!.host}/test/busybox:1`), opts(dir)), (e: unknown) => {
      assert.ok(e instanceof ImageError, String(e));
      assert.equal(e.code, 'digest-mismatch');
      assert.match(e.message, new RegExp(`expected ${layer.digest}`));
      assert.ok(e.fix);
      assert.ok(!e.oneLine().includes('\n'));
      return true;
    });
    const store = new BlobStore(dir);
    assert.equal(store.has(layer.digest), false, 'no blob at its final path');
    assert.equal(existsSync(store.partialPath(layer.digest)), false, 'the bad temp file is gone');
    assert.equal(new ImageIndex(dir).list().length, 0, 'the image is not recorded');
  } finally {
    writeFileSync(data, original);
  }
});

test('errors: unknown tag, https to a plain-http registry', async (t) => {
  if (!ready(t)) return;
  const dir = await freshStore();
  await assert.rejects(
    pullImage(parseRegistryRef(`${registry!.host}/test/busybox:nope`), opts(dir)),
    (e: ImageError) => e.code === 'manifest-unknown' && !!e.fix,
  );
  await assert.rejects(
    pullImage(parseRegistryRef(`${registry!.host}/test/busybox:1`), opts(dir, { insecure: [], timeoutMs: 5000 })),
    (e: ImageError) => e.code === 'registry-unreachable' && /insecure/.test(e.fix ?? ''),
  );
});

test('garbage collection after forgetting the image frees every blob', async (t) => {
  if (!ready(t)) return;
  const dir = await freshStore();
  const ref = parseRegistryRef(`${registry!.host}/test/busybox:1`);
  await pullImage(ref, opts(dir));
  let r = await garbageCollect(dir, { graceMs: 0 });
  assert.deepEqual(r.removed, []);
  await new ImageIndex(dir).remove(ref.canonical);
  r = await garbageCollect(dir, { graceMs: 0 });
  assert.equal(r.removed.length, 4);
  assert.deepEqual(readdirSync(new BlobStore(dir).blobsDir), []);
});
