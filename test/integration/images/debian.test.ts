/**
 * Acceptance (issue 4): `debian:bookworm/minbase` built with mmdebstrap from the tests' loopback mirror, as
 * root and as the unprivileged test user, runs on chroot and container; inside, `stat` of
 * /etc/shadow, /usr/bin/passwd and /tmp shows what the built tarball says (read from the tar,
 * not hard-coded). Each mode builds the image once (`berth pull`), then every run uses the store.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { ensureTestUser } from '../../helpers/test-user.js';
import { requireThat } from '../../helpers/requirements.js';
import { testMirrorMissing } from '../../helpers/test-mirror.js';
import { readTar } from '../../../src/images/unpack/tar-reader.js';
import { parseSubidFile } from '../../../src/host/probes/subids.js';

/** minbase: the package set scripts/test-debs.sh puts into the tests' loopback mirror. */
const REF = 'debian:bookworm/minbase';
const PATHS = ['etc/shadow', 'usr/bin/passwd', 'tmp'];
const BUILD_TIMEOUT = 30 * 60_000;

function missingRequirement(): string | undefined {
  if (!isRoot()) return 'root (the test runs berth as root and as the test user)';
  if (spawnSync('mmdebstrap', ['--version']).status !== 0) return 'mmdebstrap';
  return testMirrorMissing();
}

interface StoredImage {
  manifestDigest: string;
  layerBlob: string;
  layerHex: string;
}

function storedImage(root: string): StoredImage | undefined {
  const index = join(root, 'images', 'oci', 'index.json');
  if (!existsSync(index)) return undefined;
  const d = (
    JSON.parse(readFileSync(index, 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] }
  ).manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === REF);
  if (!d) return undefined;
  const blobs = join(root, 'images', 'blobs', 'sha256');
  const manifest = JSON.parse(readFileSync(join(blobs, d.digest.slice(7)), 'utf8')) as { layers: { digest: string }[] };
  assert.equal(manifest.layers.length, 1);
  const layerHex = manifest.layers[0]!.digest.slice(7);
  return { manifestDigest: d.digest, layerBlob: join(blobs, layerHex), layerHex };
}

/** `stat -c '%u:%g %a'` of PATHS as the tarball records them. */
async function statFromTar(
  tarPath: string,
): Promise<{ lines: string; ids: Map<string, { uid: number; gid: number }> }> {
  const want = new Map<string, string>();
  const ids = new Map<string, { uid: number; gid: number }>();
  for await (const { entry, body } of readTar(createReadStream(tarPath))) {
    const p = entry.path.replace(/^\.?\/+/, '').replace(/\/$/, '');
    if (PATHS.includes(p)) {
      want.set(p, `${entry.uid}:${entry.gid} ${(entry.mode & 0o7777).toString(8)}`);
      ids.set(p, { uid: entry.uid, gid: entry.gid });
    }
    for await (const _ of body) {
      /* drain */
    }
  }
  assert.equal(want.size, PATHS.length, `tarball lacks some of ${PATHS.join(', ')}`);
  return { lines: `${PATHS.map((p) => want.get(p)!).join('\n')}\n`, ids };
}

const missing = missingRequirement();

for (const mode of ['root', 'rootless'] as const) {
  describe(`${REF} as ${mode}`, () => {
    let r: Runner | undefined;
    before(() => {
      if (!missing) r = makeRunner(mode);
    });
    after(() => r?.cleanup());

    it("is built once, listed, and runs on chroot and container with the image's owners and modes", {
      timeout: BUILD_TIMEOUT + 10 * 60_000,
    }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      // Built from the loopback mirror (scripts/test.mjs), which serves minbase's real packages.
      const pull = await r!.run(['pull', REF], { timeoutMs: BUILD_TIMEOUT });
      assert.equal(pull.code, 0, pull.stderr);
      const built = storedImage(r!.root);
      assert.ok(built, 'pull recorded no image');
      assert.match(pull.stdout, new RegExp(`^${REF}@${built.manifestDigest}\n$`));
      const expected = await statFromTar(built.layerBlob);

      for (const backend of ['chroot', 'container']) {
        const dpkg = await r!.run(['run', '--rm', '--backend', backend, REF, '--', 'sh', '-c', 'dpkg -l | wc -l'], {
          timeoutMs: 10 * 60_000,
        });
        assert.equal(dpkg.code, 0, dpkg.stderr);
        assert.ok(Number(dpkg.stdout.trim()) > 50, `dpkg -l lists ${dpkg.stdout.trim()} lines`);
        const st = await r!.run([
          'run',
          '--rm',
          '--backend',
          backend,
          REF,
          '--',
          'stat',
          '-c',
          '%u:%g %a',
          ...PATHS.map((p) => `/${p}`),
        ]);
        assert.equal(st.code, 0, st.stderr);
        assert.equal(st.stdout, expected.lines, `${backend}: inside vs the tarball`);
      }
      // Cached: the runs built nothing (a rebuild records a new config, so a new digest).
      assert.equal(storedImage(r!.root)?.manifestDigest, built.manifestDigest);
      const images = JSON.parse((await r!.run(['images', '--format', 'json'])).stdout) as { ref: string }[];
      assert.deepEqual(
        images.map((i) => i.ref),
        ['busybox', REF],
      );

      if (mode === 'rootless') {
        // On the host the layer's files belong to the test user's sub-ids: image id N -> base + N - 1.
        const user = ensureTestUser();
        const sub = parseSubidFile(readFileSync('/etc/subgid', 'utf8'), 'berth-test', user.uid)!;
        const shadow = lstatSync(join(r!.root, 'images', 'layers', built.layerHex, 'etc', 'shadow'));
        const gid = expected.ids.get('etc/shadow')!.gid;
        assert.equal(shadow.gid, gid === 0 ? user.gid : sub.start + gid - 1);
      }

      // A failed build: one line, exit 125, nothing cached, no build leftovers.
      const bad = await r!.run(['run', '--rm', 'debian:nosuchsuite', '--', 'true'], { timeoutMs: 5 * 60_000 });
      assert.equal(bad.code, 125);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.match(bad.stderr, /unknown Debian suite "nosuchsuite"/);
      assert.deepEqual(
        JSON.parse((await r!.run(['images', '--format', 'json'])).stdout).map((i: { ref: string }) => i.ref),
        ['busybox', REF],
      );
      assert.deepEqual(readdirSync(join(r!.root, 'images', 'build')), []);

      // rmi removes the layer, also the sub-id owned files of a rootless one.
      const rmi = await r!.run(['rmi', REF]);
      assert.equal(rmi.code, 0, rmi.stderr);
      assert.deepEqual(readdirSync(join(r!.root, 'images', 'layers')), []);
    });
  });
}
