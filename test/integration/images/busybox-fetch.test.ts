/**
 * ensureBuiltinBusybox end to end against a mini Debian mirror on 127.0.0.1: real
 * busybox-static .deb, Packages.gz, InRelease clearsigned by a throwaway key.
 */
import { requireThat } from '../../helpers/requirements.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ensureBuiltinBusybox } from '../../../src/images/builtin/busybox-image.js';
import { busyboxImageDigest } from '../../../src/images/builtin/digest.js';
import { debianArch } from '../../../src/images/debian/arch.js';
import { ImageError } from '../../../src/core/errors.js';
import {
  getBusyboxDeb,
  haveTool,
  makeGpgKey,
  serveDir,
  writeMirror,
  type GpgKey,
  type MirrorServer,
  type RealDeb,
} from './mini-mirror.js';

const SUITE = 'bookworm';
const arch = debianArch() ?? 'amd64';

let work = '';
let key: GpgKey | undefined;
let otherKey: GpgKey | undefined;
let deb: RealDeb | undefined;
let server: MirrorServer | undefined;
let skip: string | false = false;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-mirror-'));
  if (!(await haveTool('gpg')) || !(await haveTool('gpgv')) || !(await haveTool('gpgconf'))) {
    skip = 'gpg, gpgv and gpgconf (apt-get install gnupg gpgv)';
    return;
  }
  deb = await getBusyboxDeb(arch, work);
  if (!deb) {
    skip = `a busybox-static .deb for ${arch}, or a static busybox to build one (apt-get install busybox-static)`;
    return;
  }
  key = await makeGpgKey(join(work, 'key'), 'berth test archive <archive@invalid>');
  otherKey = await makeGpgKey(join(work, 'other'), 'berth intruder <intruder@invalid>');
  const mirror = join(work, 'www');
  const m = { suite: SUITE, arch, deb, key };
  await writeMirror({ ...m, dir: join(mirror, 'good/debian') });
  await writeMirror({ ...m, dir: join(mirror, 'nodesource'), origin: 'NodeSource' });
  await writeMirror({ ...m, dir: join(mirror, 'tampered-deb'), tamperDeb: true });
  await writeMirror({ ...m, dir: join(mirror, 'tampered-index'), tamperIndex: true });
  await writeMirror({ ...m, dir: join(mirror, 'tampered-inrelease'), tamperInRelease: true });
  await writeMirror({ ...m, dir: join(mirror, 'wrong-key'), signWith: otherKey });
  server = await serveDir(mirror);
});

after(async () => {
  await server?.close();
  await key?.close();
  await otherKey?.close();
  if (work && !process.env.BERTH_KEEP_MIRROR) await rm(work, { recursive: true, force: true });
});

/** A fake host root: os-release plus apt sources in both formats, all pointing at 127.0.0.1. */
async function hostRoot(name: string, debianPath: string | undefined): Promise<string> {
  const root = join(work, 'roots', name);
  await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
  await writeFile(join(root, 'etc/os-release'), `ID=debian\nVERSION_CODENAME=${SUITE}\n`);
  const kr = key!.keyring;
  await writeFile(
    join(root, 'etc/apt/sources.list'),
    `deb [signed-by=${kr}] ${server!.base}/cloud cloud-sdk-${SUITE} main\n`,
  );
  // Listed first, same suite and component, validly signed, but not Debian: must be skipped.
  await writeFile(
    join(root, 'etc/apt/sources.list.d/00-nodesource.sources'),
    `Types: deb\nURIs: ${server!.base}/nodesource\nSuites: ${SUITE}\nComponents: main\nSigned-By: ${kr}\n`,
  );
  if (debianPath) {
    await writeFile(
      join(root, 'etc/apt/sources.list.d/debian.sources'),
      `Types: deb\nURIs: ${server!.base}/${debianPath}\nSuites: ${SUITE} ${SUITE}-updates\nComponents: main\nSigned-By: ${kr}\n`,
    );
  }
  return root;
}

async function emptyImagesDir(name: string): Promise<string> {
  const d = join(work, 'images', name);
  await mkdir(d, { recursive: true });
  return d;
}

async function expectFailure(name: string, debianPath: string | undefined, code: string, re: RegExp): Promise<void> {
  const imagesDir = await emptyImagesDir(name);
  const root = await hostRoot(name, debianPath);
  await assert.rejects(ensureBuiltinBusybox({ imagesDir, hostCandidates: [], fetch: { root } }), (e: unknown) => {
    assert.ok(e instanceof ImageError, `expected ImageError, got ${String(e)}`);
    assert.equal(e.code, code, e.oneLine());
    assert.match(e.message, re);
    assert.ok(e.fix, 'has a fix hint');
    assert.ok(!e.oneLine().includes('\n'));
    return true;
  });
  assert.deepEqual(await readdir(imagesDir, { recursive: true }), [], 'nothing left in imagesDir');
}

test('fetches, verifies and assembles busybox from a Debian mirror', async (t) => {
  if (!requireThat(t, !skip, String(skip))) return;
  const imagesDir = await emptyImagesDir('happy');
  const root = await hostRoot('happy', 'good/debian');
  const progress: string[] = [];
  const img = await ensureBuiltinBusybox({
    imagesDir,
    hostCandidates: [],
    fetch: { root },
    onProgress: (m) => progress.push(m),
  });

  assert.equal(img.ref, 'busybox');
  assert.match(img.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(img.layers.length, 1);
  const rootfs = img.layers[0]!;
  assert.equal(rootfs, join(imagesDir, 'builtin/busybox', img.digest.slice(7), 'rootfs'));
  assert.deepEqual(img.config, {
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    cmd: ['sh'],
    entrypoint: [],
    workdir: '/',
    user: '0:0',
  });

  const bb = await readFile(join(rootfs, 'bin/busybox'));
  assert.equal(img.digest, `sha256:${busyboxImageDigest(bb)}`);
  assert.equal((await stat(join(rootfs, 'bin/busybox'))).mode & 0o7777, 0o755);
  assert.equal((await stat(join(rootfs, 'tmp'))).mode & 0o7777, 0o1777);
  assert.equal((await stat(join(rootfs, 'root'))).mode & 0o7777, 0o700);
  for (const d of ['proc', 'sys', 'dev', 'home', 'etc', 'run', 'var/tmp', 'usr/bin', 'usr/sbin', 'sbin', 'mnt']) {
    assert.ok((await stat(join(rootfs, d))).isDirectory(), d);
  }
  assert.ok((await lstat(join(rootfs, 'usr/bin/wc'))).isSymbolicLink());
  assert.equal(await readlink(join(rootfs, 'usr/bin/wc')), '../../bin/busybox');
  assert.equal(await readlink(join(rootfs, 'bin/sh')), 'busybox');
  assert.match(
    await readFile(join(rootfs, 'etc/passwd'), 'utf8'),
    /^root:x:0:0:root:\/root:\/bin\/sh\nnobody:x:65534:65534:nobody:\/nonexistent:\/bin\/false\n$/,
  );
  assert.equal(await readFile(join(rootfs, 'etc/group'), 'utf8'), 'root:x:0:\nnobody:x:65534:\n');
  assert.match(await readFile(join(rootfs, 'etc/os-release'), 'utf8'), /NAME="berth busybox"/);
  for (const f of ['hostname', 'hosts', 'resolv.conf']) assert.equal((await stat(join(rootfs, 'etc', f))).size, 0);

  const cfg = JSON.parse(await readFile(join(rootfs, '../config.json'), 'utf8'));
  assert.equal(cfg.source.kind, 'deb');
  assert.equal(
    cfg.source.url,
    `${server!.base}/good/debian/pool/main/b/busybox/busybox-static_${deb!.version.replace(/^\d+:/, '')}_${arch}.deb`,
  );
  assert.match(cfg.source.sha256, /^[0-9a-f]{64}$/);
  assert.ok(progress.some((m) => m.includes('InRelease')));

  // Runnable: inside a chroot as root, else the static binary directly.
  const run =
    process.getuid?.() === 0
      ? await execa('chroot', [rootfs, '/bin/sh', '-c', 'echo hello | wc -c; id -u'], { reject: false })
      : await execa(join(rootfs, 'bin/busybox'), ['sh', '-c', 'echo hello | busybox wc -c'], { reject: false });
  assert.equal(run.exitCode, 0, String(run.stderr));
  assert.match(String(run.stdout), /^6\b/);

  // The nodesource entry came first and was skipped on its Origin; only 127.0.0.1 was used.
  assert.ok(server!.requests.includes(`/nodesource/dists/${SUITE}/InRelease`));
  assert.ok(!server!.requests.some((p) => p.startsWith('/nodesource/dists/') && p.includes('Packages')));
  assert.ok(!server!.requests.some((p) => p.startsWith('/cloud')));
  const index = server!.requests.find((p) => p.startsWith(`/good/debian/dists/${SUITE}/main/`));
  assert.match(index ?? '', /Packages\.(xz|gz)$/, 'a compressed index was used');

  // Second call: the fast path, no network, same image; the staging dir is gone.
  const before = server!.requests.length;
  const again = await ensureBuiltinBusybox({ imagesDir, hostCandidates: [], fetch: { root } });
  assert.deepEqual(again, img);
  assert.equal(server!.requests.length, before);
  assert.deepEqual((await readdir(join(imagesDir, 'builtin'))).sort(), ['busybox']);
});

test('a .deb whose digest does not match the index is refused', async (t) => {
  if (!requireThat(t, !skip, String(skip))) return;
  await expectFailure(
    'tampered-deb',
    'tampered-deb',
    'deb-digest-mismatch',
    /does not match the SHA256 and size in the signed index/,
  );
});

test('an InRelease edited after signing is refused', async (t) => {
  if (!requireThat(t, !skip, String(skip))) return;
  await expectFailure(
    'tampered-inrelease',
    'tampered-inrelease',
    'inrelease-bad-signature',
    /signature check of .*InRelease failed/,
  );
});

test('an InRelease signed by a key outside Signed-By is refused', async (t) => {
  if (!requireThat(t, !skip, String(skip))) return;
  await expectFailure('wrong-key', 'wrong-key', 'inrelease-bad-signature', /signature check/);
});

test('a Packages.gz whose hash does not match InRelease is refused', async (t) => {
  if (!requireThat(t, !skip, String(skip))) return;
  await expectFailure(
    'tampered-index',
    'tampered-index',
    'index-digest-mismatch',
    /Packages\.gz does not match the SHA256 and size in the signed InRelease/,
  );
});

test('apt sources with no Debian archive give a clear error', async (t) => {
  if (!requireThat(t, !skip, String(skip))) return;
  await expectFailure('no-debian', undefined, 'no-debian-archive', /no apt source is a Debian archive/);
});

test('the host static busybox is used when present, without any download', async (t) => {
  const host = ['/bin/busybox', '/usr/bin/busybox'];
  const { findHostStaticBusybox } = await import('../../../src/images/builtin/host-busybox.js');
  const found = await findHostStaticBusybox(host);
  if (!requireThat(t, !!found, 'a static busybox on this host (apt-get install busybox-static)') || !found) return;
  const imagesDir = await emptyImagesDir('host');
  const img = await ensureBuiltinBusybox({ imagesDir, hostCandidates: host, fetch: { sources: [], suite: SUITE } });
  const cfg = JSON.parse(await readFile(join(img.layers[0]!, '../config.json'), 'utf8'));
  assert.equal(cfg.source.kind, 'host');
  assert.equal(cfg.source.path, found.path);
  assert.equal(img.digest, `sha256:${busyboxImageDigest(found.bytes)}`);

  // Racing builders in a fresh dir agree on one image and leave no staging dirs behind.
  const raced = await emptyImagesDir('race');
  const all = await Promise.all([1, 2, 3].map(() => ensureBuiltinBusybox({ imagesDir: raced, hostCandidates: host })));
  for (const r of all)
    assert.deepEqual(r, { ...img, layers: [join(raced, 'builtin/busybox', img.digest.slice(7), 'rootfs')] });
  assert.deepEqual((await readdir(join(raced, 'builtin'))).sort(), ['busybox']);
  assert.deepEqual((await readdir(join(raced, 'builtin/busybox'))).sort(), [img.digest.slice(7), 'current']);
});

test('a dynamic busybox does not count as a host busybox', async () => {
  const { findHostStaticBusybox } = await import('../../../src/images/builtin/host-busybox.js');
  // The node binary is a dynamically linked ELF executable.
  assert.equal(await findHostStaticBusybox([process.execPath, '/nonexistent/busybox']), undefined);
});
