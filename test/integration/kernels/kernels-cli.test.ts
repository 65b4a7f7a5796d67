/**
 * `berth kernels` through the real CLI, as root and as the unprivileged test user: the manifests
 * are listed as available, `--fetch` puts a kernel into the cache through the verified chain (uml:
 * the identical installed package is recorded instead of downloading it; microvm, rootless only to
 * spare the mirror: the .deb is downloaded and extracted), the next listing shows it cached, and
 * bad input is one line with exit 125 and leaves no temporary directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeRunner, type Mode } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { requireTestMirror } from '../../helpers/test-mirror.js';

interface Listing {
  name: string;
  package: string;
  cached: { version: string; origin: string; kernel: string; release?: string; modulesDir?: string; sha256: string }[];
}

const umlInstalled = existsSync('/usr/bin/linux.uml');
const isRoot = process.getuid?.() === 0;

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`berth kernels: list, fetch, cache, bad input (${mode})`, { timeout: 600_000 }, async (t) => {
    if (!requireThat(t, isRoot, 'root (the test runs berth as root and as the test user)')) return;
    if (!requireThat(t, umlInstalled, 'user-mode-linux (apt-get install user-mode-linux)')) return;
    if (!requireTestMirror(t)) return;
    const r = makeRunner(mode);
    t.after(() => r.cleanup());

    const first = await r.run(['kernels', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const before = JSON.parse(first.stdout) as Listing[];
    assert.deepEqual(
      before.map((k) => [k.name, k.cached.length]),
      [
        ['uml', 0],
        ['microvm', 0],
      ],
    );

    // Bad mirror settings: one line, exit 125, before anything is fetched.
    for (const [env, says] of [
      [
        { BERTH_DEBIAN_MIRROR: 'ftp://127.0.0.1/debian' },
        /BERTH_DEBIAN_MIRROR="ftp:\/\/127.0.0.1\/debian" is not an http\(s\) URL/,
      ],
      [{ BERTH_DEBIAN_KEYRING: 'mirror.gpg' }, /BERTH_DEBIAN_KEYRING="mirror.gpg" is not an absolute path/],
    ] as const) {
      const bad = await r.run(['kernels', '--fetch', 'microvm'], { env });
      assert.equal(bad.code, 125, bad.stderr);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.match(bad.stderr, says);
    }

    const fetched = await r.run(['kernels', '--fetch', 'uml'], { timeoutMs: 300_000 });
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.match(fetched.stderr, /InRelease/);
    // From the loopback mirror BERTH_DEBIAN_MIRROR names, not the host's apt sources (ADR 0056).
    assert.ok(fetched.stderr.includes(`fetching ${process.env.BERTH_DEBIAN_MIRROR}/dists/`), fetched.stderr);
    assert.doesNotMatch(fetched.stderr, /fetching (?!http:\/\/127\.0\.0\.1:)/);
    assert.match(fetched.stderr, /using the installed user-mode-linux/);
    const dpkg = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'user-mode-linux'], { encoding: 'utf8' }).stdout;
    const uml = (JSON.parse((await r.run(['kernels', '--json'])).stdout) as Listing[])[0]!;
    assert.equal(uml.cached.length, 1);
    assert.equal(uml.cached[0]!.version, dpkg);
    assert.equal(uml.cached[0]!.origin, 'installed');
    assert.equal(uml.cached[0]!.kernel, '/usr/bin/linux.uml');
    assert.ok(existsSync(join(uml.cached[0]!.modulesDir!, 'kernel')), 'the module tree of the installed package');
    const table = await r.run(['kernels']);
    assert.match(table.stdout, /^uml\s+\S+\s+\S+\s+cached \(installed\)/m);
    assert.match(table.stdout, /^microvm\s+-\s+-\s+available/m);

    if (mode === 'rootless') {
      const mv = await r.run(['kernels', '--fetch', 'microvm'], { timeoutMs: 500_000 });
      assert.equal(mv.code, 0, mv.stderr);
      assert.match(mv.stderr, /\.deb\n/);
      const k = (JSON.parse((await r.run(['kernels', '--json'])).stdout) as Listing[])[1]!.cached[0]!;
      assert.equal(k.origin, 'mirror');
      assert.ok(k.kernel.startsWith(r.root), k.kernel);
      assert.ok(existsSync(join(k.modulesDir!, 'kernel/drivers/virtio/virtio_mmio.ko')));
      const again = await r.run(['kernels', '--fetch', 'microvm']);
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(again.stderr, /fetching/, 'served from the cache');
    }

    const unknown = await r.run(['kernels', '--fetch', 'nosuch']);
    assert.equal(unknown.code, 125);
    assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
    assert.match(unknown.stderr, /unknown kernel "nosuch" \(known: uml, microvm\)/);

    // A cached kernel whose digest no longer matches its record is refused, with the fix.
    const dir = join(
      r.root,
      'kernels',
      'uml',
      readdirSync(join(r.root, 'kernels', 'uml')).find((d) => !d.startsWith('.'))!,
    );
    const rec = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as { sha256: string };
    rec.sha256 = '0'.repeat(64);
    writeFileSync(join(dir, 'kernel.json'), JSON.stringify(rec));
    const bad = await r.run(['kernels', '--fetch', 'uml']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /does not match the SHA256 recorded .* \(remove .* and run again/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);

    for (const name of ['uml', 'microvm']) {
      const d = join(r.root, 'kernels', name);
      if (existsSync(d))
        assert.deepEqual(
          readdirSync(d).filter((n) => n.startsWith('.tmp-')),
          [],
          'no temporary install left',
        );
    }
  });
}
