/**
 * Which backend a plain `berth run` gets, for real, as root and as the unprivileged user:
 * auto = microvm where KVM works, else a container (never uml or a TCG microvm unasked);
 * --isolation kernel = microvm with KVM, else uml; BERTH_BACKEND and the user's config file
 * (precedence: --backend > BERTH_BACKEND > user config > system config > auto); bad values are
 * one line, exit 125, nothing left; doctor and inspect name the choice.
 * And -p without --network: the network that publishes (root: the default bridge, in a network
 * namespace this test makes; a normal user: user networking), recorded by inspect.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { oneLine125 } from '../../helpers/one-line-error.js';
import { makeNetns, type TestNetns } from '../../helpers/netns.js';
import { findExecutable } from '../../../src/host/probes/exec.js';
import { assertTestMirror } from '../../helpers/test-mirror.js';

const KVM = existsSync('/dev/kvm');
/** This host without KVM: auto = container; with it microvm may win (when its boot probe passes). */
const AUTO = KVM ? ['microvm', 'container'] : ['container'];
const VM_MS = 180_000;

let cfg = '';
before(() => {
  // A config home of the test's own (world-readable: the test user reads it too).
  cfg = mkdtempSync(join(tmpdir(), 'berth-cfg-'));
  chmodSync(cfg, 0o755);
  mkdirSync(join(cfg, 'berth'), { mode: 0o755 });
});
after(() => {
  if (cfg) rmSync(cfg, { recursive: true, force: true });
});

function config(text: string | undefined): void {
  const file = join(cfg, 'berth', 'config.json');
  if (text === undefined) rmSync(file, { force: true });
  else {
    writeFileSync(file, text);
    chmodSync(file, 0o644);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: inspect output is untyped JSON; the test reads nested fields
async function inspect(r: Runner, name: string): Promise<Record<string, any>> {
  const i = await r.run(['inspect', name]);
  assert.equal(i.code, 0, i.stderr);
  return JSON.parse(i.stdout)[0];
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`the default backend (${mode})`, { concurrency: 1 }, () => {
    let r: Runner;
    const ready = isRoot() && !existsSync('/etc/berth/config.json');
    const why = !isRoot()
      ? 'root (the test runs berth as root and as the test user)'
      : '/etc/berth/config.json absent (the test sets its own defaults)';
    before(() => {
      if (ready) r = makeRunner(mode);
    });
    after(() => r?.cleanup());
    const env = (extra: Record<string, string> = {}) => ({ XDG_CONFIG_HOME: cfg, ...extra });
    const started = async (args: string[], extra: Record<string, string> = {}, timeoutMs = 60_000) => {
      const res = await r.run(['run', '-d', '-q', ...args, 'busybox', 'sleep', '60'], { env: env(extra), timeoutMs });
      assert.equal(res.code, 0, res.stderr);
      return res;
    };

    it('auto: a container without KVM (never uml unasked); inspect and doctor say why and what --isolation kernel would give', async (t) => {
      if (!requireThat(t, ready, why)) return;
      config(undefined);
      await started(['--name', 'plain']);
      const i = await inspect(r, 'plain');
      assert.ok(AUTO.includes(i.Backend), i.Backend);
      assert.equal(i.BackendChoice.requested, 'auto');
      assert.equal(i.BackendChoice.source, 'default');
      if (!KVM) {
        assert.equal(i.Backend, 'container');
        assert.match(i.BackendChoice.passedOver[0].reason, /^KVM does not work here: \/dev\/kvm absent/);
        assert.equal(i.BackendChoice.kernelIsolation, 'uml');
        assert.match(
          i.BackendChoice.summary,
          /^the container backend \(auto; microvm: KVM does not work here: .*; --isolation kernel would give uml\)$/,
        );
      }
      const doc = await r.run(['doctor'], { env: env() });
      assert.equal(doc.code, 0, doc.stderr);
      assert.match(doc.stdout, /^Backend setting: auto \(no BERTH_BACKEND, no config file\)$/m);
      assert.match(doc.stdout, new RegExp(`^berth run uses: the ${i.Backend} backend \\(auto`, 'm'));
      if (!KVM) assert.match(doc.stdout, /^--isolation kernel picks: uml$/m);
      const json = JSON.parse((await r.run(['doctor', '--json'], { env: env() })).stdout);
      assert.equal(json.autoChoice, i.Backend);
      assert.equal((await r.run(['rm', '-f', 'plain'])).code, 0);
    });

    it('--isolation kernel: microvm with KVM, else uml', { timeout: VM_MS }, async (t) => {
      if (!requireThat(t, ready, why)) return;
      if (
        !requireThat(t, findExecutable('linux.uml') !== undefined || KVM, 'user-mode-linux (scripts/host-packages.sh)')
      )
        return;
      await started(['--name', 'kern', '--isolation', 'kernel'], {}, VM_MS);
      const i = await inspect(r, 'kern');
      if (!KVM) assert.equal(i.Backend, 'uml');
      assert.equal(i.Isolation.separateKernel, true);
      assert.equal(i.BackendChoice.isolation, 'kernel');
      assert.equal((await r.run(['rm', '-f', 'kern'], { timeoutMs: VM_MS })).code, 0);
    });

    it('BERTH_BACKEND and the config files set the default; --backend beats them', async (t) => {
      if (!requireThat(t, ready, why)) return;
      config('{"backend": "chroot"}');
      await started(['--name', 'fromcfg']);
      let i = await inspect(r, 'fromcfg');
      assert.equal(i.Backend, 'chroot');
      assert.equal(i.BackendChoice.source, join(cfg, 'berth', 'config.json'));
      await started(['--name', 'fromenv'], { BERTH_BACKEND: 'container' });
      i = await inspect(r, 'fromenv');
      assert.equal(i.Backend, 'container');
      assert.equal(i.BackendChoice.summary, 'the container backend (BERTH_BACKEND=container)');
      await started(['--name', 'fromflag', '--backend', 'chroot'], { BERTH_BACKEND: 'container' });
      assert.equal((await inspect(r, 'fromflag')).Backend, 'chroot');
      const doc = await r.run(['doctor'], { env: env({ BERTH_BACKEND: 'chroot' }) });
      assert.match(doc.stdout, /^Backend setting: chroot \(BERTH_BACKEND\)$/m);
      assert.match(doc.stdout, /^berth run uses: the chroot backend \(BERTH_BACKEND=chroot\)$/m);
      assert.equal((await r.run(['rm', '-f', 'fromcfg', 'fromenv', 'fromflag'])).code, 0);
      config(undefined);
    });

    it('a bad setting: one line naming its source and the fix, exit 125, nothing left behind', async (t) => {
      if (!requireThat(t, ready, why)) return;
      const file = join(cfg, 'berth', 'config.json');
      const run = (extra: Record<string, string> = {}) =>
        r.run(['run', '--rm', 'busybox', 'true'], { env: env(extra) });
      oneLine125(
        await run({ BERTH_BACKEND: 'docker' }),
        /BERTH_BACKEND="docker" is not a backend \(set it to one of: auto, microvm, uml, container, chroot, or unset it\)/,
      );
      config('{"backend": "kvm"}');
      oneLine125(
        await run(),
        new RegExp(`${file}: "backend": "kvm" is not a backend \\(set it to one of: .*, or remove it\\)`),
      );
      config('{"backend": ');
      oneLine125(await run(), new RegExp(`${file} is not valid JSON: .*\\(fix or remove the file\\)`));
      oneLine125(
        await r.run(['run', '--rm', '--backend', 'kvm', 'busybox', 'true'], { env: env() }),
        /invalid --backend "kvm"/,
      );
      const doc = await r.run(['doctor'], { env: env() });
      assert.equal(doc.code, 0, doc.stderr);
      assert.match(doc.stdout, /^Backend setting: NO: .* is not valid JSON/m);
      config('{"backend": "chroot"}');
      oneLine125(
        await r.run(['run', '--rm', '--isolation', 'kernel', 'busybox', 'true'], { env: env() }),
        new RegExp(
          `the chroot backend \\(from ${file}\\) gives filesystem isolation, less than --isolation kernel \\(pass --backend auto`,
        ),
      );
      config(undefined);
      const ps = await r.run(['ps', '-a', '-q']);
      assert.equal(ps.stdout, '');
    });
  });
}

describe('-p without --network: the network that publishes, in a test-made network namespace', {
  concurrency: 1,
}, () => {
  const TOOLS = ['ip', 'nft', 'busybox', 'pasta'];
  const missing = TOOLS.filter((t) => !findExecutable(t));
  const ready = isRoot() && missing.length === 0;
  const why = !isRoot() ? 'root (the test makes a network namespace)' : `tools: ${missing.join(', ')}`;
  let ns: TestNetns | undefined;
  let root: Runner;
  let user: Runner;
  let www = '';
  before(async () => {
    if (!ready) return;
    root = makeRunner('root');
    // The uml kernel is resolved (and verified) outside the namespace, which reaches nothing.
    if (findExecutable('linux.uml')) {
      assertTestMirror();
      const k = await root.run(['kernels', '--fetch', 'uml'], { timeoutMs: 900_000 });
      if (k.code !== 0) throw new Error(`fetching the uml kernel failed: ${k.stderr}`);
    }
    ns = makeNetns();
    user = makeRunner('rootless');
    www = mkdtempSync(join(tmpdir(), 'berth-pdef-www-'));
    chmodSync(www, 0o755);
    writeFileSync(join(www, 'index.html'), 'published\n');
    chmodSync(join(www, 'index.html'), 0o644);
  });
  after(async () => {
    if (!ready) return;
    for (const r of [root, user]) {
      const ids = (await ns!.berth(r, ['ps', '-a', '-q'])).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await ns!.berth(r, ['rm', '-f', ...ids], VM_MS);
    }
    await ns!.berth(root, ['network', 'rm', 'bridge']);
    ns!.remove();
    root.cleanup();
    user.cleanup();
    rmSync(www, { recursive: true, force: true });
  });
  const httpd = ['-v', `${'WWW'}:/www:ro`, 'busybox', '--', 'httpd', '-f', '-p', '80', '-h', '/www'];
  const serve = () => httpd.map((a) => a.replace('WWW', www));
  /** The page on a published port, once the server inside answers (a detached run returns before it listens). */
  const fetch = async (port: number) => {
    let got = ns!.sh(['busybox', 'wget', '-qO-', `http://127.0.0.1:${port}/`]);
    for (let k = 0; k < 75 && got.stdout !== 'published\n'; k++) {
      await new Promise((res) => setTimeout(res, 200));
      got = ns!.sh(['busybox', 'wget', '-qO-', `http://127.0.0.1:${port}/`]);
    }
    return got;
  };

  it('root: the default bridge network (container and uml); inspect says it was defaulted', {
    timeout: VM_MS * 2,
  }, async (t) => {
    if (!requireThat(t, ready, why)) return;
    const c = await ns!.berth(root, ['run', '-d', '-q', '--name', 'pc', '-p', '127.0.0.1:18381:80', ...serve()]);
    assert.equal(c.code, 0, c.stderr);
    const i = JSON.parse((await ns!.berth(root, ['inspect', 'pc'])).stdout)[0];
    assert.ok(AUTO.includes(i.Backend), i.Backend);
    assert.equal(i.Network.Mode, 'bridge (bridge)');
    assert.match(i.Network.Defaulted, /^bridge: -p was given without --network/);
    assert.equal(i.Config.network, 'bridge');
    assert.deepEqual(i.Network.Ports, ['127.0.0.1:18381:80/tcp']);
    assert.equal((await fetch(18381)).stdout, 'published\n');
    if (findExecutable('linux.uml')) {
      const u = await ns!.berth(
        root,
        ['run', '-d', '-q', '--name', 'pu', '--backend', 'uml', '-p', '127.0.0.1:18382:80', ...serve()],
        VM_MS,
      );
      assert.equal(u.code, 0, u.stderr);
      const iu = JSON.parse((await ns!.berth(root, ['inspect', 'pu'])).stdout)[0];
      assert.equal(iu.Network.Mode, 'bridge (bridge)');
      assert.match(iu.Network.Defaulted, /^bridge: /);
      const got = await fetch(18382);
      assert.equal(got.stdout, 'published\n', got.stderr);
    }
    assert.equal((await ns!.berth(root, ['rm', '-f', 'pc', 'pu'], VM_MS)).code, 0);
  });

  it('--network none with -p stays an error (root and normal user)', async (t) => {
    if (!requireThat(t, ready, why)) return;
    for (const r of [root, user]) {
      oneLine125(
        await ns!.berth(r, ['run', '--rm', '--network', 'none', '-p', '18383:80', 'busybox', 'true']),
        /-p needs a network of the environment's own, and --network is none/,
      );
    }
  });

  it('a normal user: user networking; inspect says it was defaulted', async (t) => {
    if (!requireThat(t, ready, why)) return;
    const tun = (() => {
      try {
        return (statSync('/dev/net/tun').mode & 0o006) === 0o006;
      } catch {
        return false;
      }
    })();
    if (!requireThat(t, tun, '/dev/net/tun usable by normal users (mode 0666, scripts/host-packages.sh sets it)'))
      return;
    const c = await ns!.berth(user, ['run', '-d', '-q', '--name', 'upc', '-p', '127.0.0.1:18384:80', ...serve()]);
    assert.equal(c.code, 0, c.stderr);
    const i = JSON.parse((await ns!.berth(user, ['inspect', 'upc'])).stdout)[0];
    assert.equal(i.Network.Mode, 'user');
    assert.match(i.Network.Defaulted, /^user: -p was given without --network/);
    assert.equal((await fetch(18384)).stdout, 'published\n');
    assert.equal((await ns!.berth(user, ['rm', '-f', 'upc'])).code, 0);
  });
});
