/**
 * A registry image whose layer (built here with GNU tar, owners kept) gives files to non-root
 * users keeps them inside, as root and as the unprivileged test user (sub-ids, ADR 0014), on
 * chroot and container: a 33:33 file and setgid dir, a setuid file of uid 1000. As the test
 * user the host sees them owned by its sub-ids; rmi removes them.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { ensureTools, startRegistry, skopeoPush, sha, type RunningRegistry } from '../registry/fixtures.js';
import { goArch } from '../../../src/images/registry/platform.js';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { ensureTestUser } from '../../helpers/test-user.js';
import { parseSubidFile } from '../../../src/host/probes/subids.js';

const EXPECTED = '33:33 640\n33:33 2775\n1000:1000 4755\n';
let work = '';
let registry: RunningRegistry | undefined;
let imageRef = '';
let missing: string | undefined;

/** A busybox root with files owned by www-data (33) and uid 1000, as one gzip layer. */
function ownersLayer(dir: string, out: string): Buffer {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc', 'srv/data']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'stat', 'id']) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33::/srv:/bin/sh\n');
  writeFileSync(join(dir, 'srv', 'www'), 'page\n');
  writeFileSync(join(dir, 'srv', 'suid'), 'x\n');
  spawnSync('chown', ['33:33', join(dir, 'srv', 'www'), join(dir, 'srv', 'data')]);
  spawnSync('chown', ['1000:1000', join(dir, 'srv', 'suid')]);
  chmodSync(join(dir, 'srv', 'www'), 0o640);
  chmodSync(join(dir, 'srv', 'data'), 0o2775);
  chmodSync(join(dir, 'srv', 'suid'), 0o4755);
  const r = spawnSync('tar', ['-C', dir, '--numeric-owner', '-czf', out, '.']);
  assert.equal(r.status, 0, String(r.stderr));
  return readFileSync(out);
}

before(async () => {
  if (!isRoot()) {
    missing = 'root (the test chowns layer files, starts a registry and runs berth as the test user)';
    return;
  }
  const absent = await ensureTools();
  if (absent.length > 0) {
    missing = `tools: ${absent.join(', ')}`;
    return;
  }
  work = mkdtempSync(join(tmpdir(), 'berth-owners-'));
  const layout = join(work, 'layout');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer): string => {
    const d = sha(b);
    writeFileSync(join(layout, 'blobs', 'sha256', d.slice(7)), b);
    return d;
  };
  const layer = ownersLayer(join(work, 'rootfs'), join(work, 'layer.tar.gz'));
  const diffId = sha(spawnSync('gzip', ['-dc'], { input: layer, maxBuffer: 1 << 28 }).stdout);
  const config = Buffer.from(
    JSON.stringify({
      architecture: goArch(),
      os: 'linux',
      config: { Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: put(layer), size: layer.length }],
    }),
  );
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: put(manifest),
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': 'owners' },
        },
      ],
    }),
  );
  registry = await startRegistry(work);
  imageRef = `${registry.host}/test/owners:1`;
  await skopeoPush(layout, 'owners', imageRef);
});

after(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

for (const mode of ['root', 'rootless'] as const) {
  describe(`image owners as ${mode}`, () => {
    let r: Runner | undefined;
    before(() => {
      if (!missing) r = makeRunner(mode);
    });
    after(() => r?.cleanup());
    it("stat inside shows the layer's owners and modes on chroot and container", { timeout: 180_000 }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      for (const backend of ['chroot', 'container']) {
        const st = await r!.run([
          'run',
          '--rm',
          '--backend',
          backend,
          imageRef,
          'stat',
          '-c',
          '%u:%g %a',
          '/srv/www',
          '/srv/data',
          '/srv/suid',
        ]);
        assert.equal(st.code, 0, st.stderr);
        assert.equal(st.stdout, EXPECTED, `${backend}`);
      }
      const layers = join(r!.root, 'images', 'layers');
      const [hex] = readdirSync(layers).filter((n) => /^[0-9a-f]{64}$/.test(n));
      if (mode === 'rootless') {
        const user = ensureTestUser();
        const su = parseSubidFile(readFileSync('/etc/subuid', 'utf8'), 'berth-test', user.uid)!;
        const www = lstatSync(join(layers, hex!, 'srv', 'www'));
        assert.equal(www.uid, su.start + 32);
        const meta = JSON.parse(readFileSync(join(layers, `${hex}.meta.json`), 'utf8'));
        assert.deepEqual(meta.entries['srv/www'], { type: 'file', mode: 0o640, uid: 33, gid: 33 });
      } else {
        assert.equal(lstatSync(join(layers, hex!, 'srv', 'www')).uid, 33);
      }
      const rmi = await r!.run(['rmi', imageRef]);
      assert.equal(rmi.code, 0, rmi.stderr);
      assert.deepEqual(readdirSync(layers), []);
    });
  });
}
