/**
 * Issue 16 item 2: a VM kernel is fetched on first use, like an image. Against a loopback mirror
 * (kernel-mirror.ts): the download reports its bytes; two processes using it first at once fetch
 * it once; a fetch killed with SIGKILL leaves nothing the cache takes as complete, and the next
 * use finishes it. Through the real CLI (root and the test user): `--pull never` with nothing
 * cached is one line naming `berth kernels --fetch NAME`, exit 125, nothing left behind; and a
 * first `run --backend uml` on an empty store fetches (here: records the installed package).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveKernel } from '../../../src/kernels/resolve.js';
import { cachedVersions } from '../../../src/kernels/cache.js';
import { resolvePaths } from '../../../src/core/paths.js';
import { KernelError } from '../../../src/core/errors.js';
import type { Transfer } from '../../../src/core/transfer.js';
import { makeRunner, isRoot, storedEnvs, type Mode } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { haveTool } from '../images/mini-mirror.js';
import { VERSION, fetchOptions, startKernelMirror, type KernelMirror } from './kernel-mirror.js';

let work = '';
let mirror: KernelMirror | undefined;
let missing = '';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'berth-kernel-first-'));
  for (const tool of ['gpg', 'gpgv', 'dpkg-deb'])
    if (!(await haveTool(tool))) missing = `${tool} (apt-get install gnupg gpgv dpkg)`;
  if (!missing) mirror = await startKernelMirror(work);
});

after(async () => {
  await mirror?.close();
  rmSync(work, { recursive: true, force: true });
});

const CHILD = join(import.meta.dirname, 'fetch-child.js');

function child(
  root: string,
): ChildProcess & { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> } {
  const c = spawn(process.execPath, [CHILD, root, JSON.stringify(fetchOptions(mirror!))], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  c.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  c.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>(
    (resolve) => c.once('close', (code, signal) => resolve({ code, signal, out, err })),
  );
  return Object.assign(c, { done });
}

const freshRoot = () => mkdtempSync(join(work, 'root-'));

test('first use fetches the kernel, reporting its bytes; --pull never refuses with the fix', async (t) => {
  if (!requireThat(t, missing === '', missing)) return;
  const paths = resolvePaths({ BERTH_ROOT: freshRoot() });
  await assert.rejects(
    resolveKernel(paths, 'uml', { pull: 'never', fetch: fetchOptions(mirror!), noInstalled: true }),
    (e: unknown) =>
      e instanceof KernelError &&
      e.code === 'kernel-not-fetched' &&
      /berth kernels --fetch uml/.test(e.oneLine()) &&
      !e.oneLine().includes('\n'),
  );
  assert.equal(existsSync(join(paths.kernels, 'uml')), false, 'nothing left behind');
  const before = mirror!.debRequests();
  const seen: Transfer[] = [];
  const k = await resolveKernel(paths, 'uml', {
    fetch: fetchOptions(mirror!),
    noInstalled: true,
    onTransfer: (x) => seen.push(x),
  });
  assert.equal(k.version, VERSION);
  assert.equal(k.origin, 'mirror');
  assert.equal(mirror!.debRequests(), before + 1);
  const deb = seen.filter((x) => x.label.endsWith('.deb'));
  assert.ok(deb.length >= 3, `start, progress and end of the .deb: ${JSON.stringify(deb)}`);
  assert.deepEqual(deb.at(-1), {
    id: deb[0]!.id,
    label: deb[0]!.label,
    done: mirror!.debSize,
    total: mirror!.debSize,
    finished: true,
  });
  // Once cached, --pull never is content.
  assert.equal((await resolveKernel(paths, 'uml', { pull: 'never' })).sha256, k.sha256);
});

test('two processes using the kernel first at once fetch it once', async (t) => {
  if (!requireThat(t, missing === '', missing)) return;
  const root = freshRoot();
  const before = mirror!.debRequests();
  const [a, b] = [child(root), child(root)];
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, ra.err);
  assert.equal(rb.code, 0, rb.err);
  assert.equal(mirror!.debRequests() - before, 1, 'one download');
  assert.equal((JSON.parse(ra.out) as { kernel: string }).kernel, (JSON.parse(rb.out) as { kernel: string }).kernel);
  assert.deepEqual(readdirSync(join(root, 'kernels', 'uml')), [VERSION]);
});

test('a fetch killed with SIGKILL mid-download leaves no complete-looking entry; the next use finishes', async (t) => {
  if (!requireThat(t, missing === '', missing)) return;
  const root = freshRoot();
  const paths = resolvePaths({ BERTH_ROOT: root });
  mirror!.hold(true);
  const c = child(root);
  try {
    await mirror!.halfSent();
    // Wait (no deadline but the test's) until the child has written some of the .deb.
    const partial = () =>
      readdirSync(join(root, 'kernels', 'uml'))
        .filter((n) => n.startsWith('.tmp-'))
        .map((n) => join(root, 'kernels', 'uml', n, '.work', 'package.deb.partial'))
        .find((f) => existsSync(f) && statSync(f).size > 0);
    while (!existsSync(join(root, 'kernels', 'uml')) || !partial()) await new Promise((r) => setTimeout(r, 20));
    c.kill('SIGKILL');
    const r = await c.done;
    assert.equal(r.signal, 'SIGKILL');
  } finally {
    mirror!.hold(false);
  }
  assert.deepEqual(cachedVersions(paths.kernels, 'uml'), [], 'the killed fetch is not a cache entry');
  await assert.rejects(resolveKernel(paths, 'uml', { pull: 'never' }), /--pull never/);
  const k = await resolveKernel(paths, 'uml', { fetch: fetchOptions(mirror!), noInstalled: true });
  assert.equal(k.version, VERSION);
  assert.deepEqual(readdirSync(join(root, 'kernels', 'uml')), [VERSION], 'the dead temporary is gone');
  assert.equal(existsSync(join(paths.locks, 'kernel-uml.lock')), false, 'the dead lock was taken over and released');
});

const umlInstalled = existsSync('/usr/bin/linux.uml');

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`CLI: --pull never with no kernel cached is one line naming the fetch, exit 125, nothing left (${mode})`, {
    timeout: 300_000,
  }, async (t) => {
    if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
    if (!requireThat(t, umlInstalled, 'user-mode-linux (apt-get install user-mode-linux)')) return;
    const r = makeRunner(mode);
    t.after(() => r.cleanup());
    for (const [backend, name] of [
      ['uml', 'uml'],
      ['microvm', 'microvm'],
    ] as const) {
      for (const pull of [['--pull', 'never'], ['--pull=never']]) {
        const res = await r.run(['run', '--rm', '--backend', backend, ...pull, 'busybox', 'true']);
        assert.equal(res.code, 125, res.stderr);
        assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
        assert.match(
          res.stderr,
          new RegExp(
            `no ${name} kernel is in the cache and --pull never forbids fetching it \\(berth kernels --fetch ${name}`,
          ),
        );
      }
    }
    assert.deepEqual(storedEnvs(r.root), [], 'no environment left');
    const kernels = join(r.root, 'kernels');
    if (existsSync(kernels))
      for (const n of readdirSync(kernels))
        assert.deepEqual(readdirSync(join(kernels, n)), [], `nothing cached under ${n}`);

    // First use: no --pull (missing) fetches the kernel (the installed package, checked against
    // the signed index of the host's mirror) and runs.
    const first = await r.run(['run', '--rm', '--backend', 'uml', 'busybox', 'true'], { timeoutMs: 240_000 });
    assert.equal(first.code, 0, first.stderr);
    const listing = JSON.parse((await r.run(['kernels', '--json'])).stdout) as { name: string; cached: unknown[] }[];
    assert.equal(listing.find((k) => k.name === 'uml')!.cached.length, 1, 'fetched on first use');
    const again = await r.run(['run', '--rm', '--backend', 'uml', '--pull', 'never', 'busybox', 'true'], {
      timeoutMs: 120_000,
    });
    assert.equal(again.code, 0, again.stderr);
  });
}
