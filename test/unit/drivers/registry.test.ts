import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../../src/drivers/registry.js';
import { EnvStore } from '../../../src/core/env-store.js';
import { resolvePaths } from '../../../src/core/paths.js';
import { defaultSpec } from '../../../src/core/spec.js';
import type { Driver, Probe } from '../../../src/drivers/driver.js';
import type { Finding } from '../../../src/host/probes/finding.js';
import { isBerthError } from '../../../src/core/errors.js';

const OK: Probe = { ok: true, reason: '', details: {} };
const ALL = { microvm: OK, uml: OK, container: OK, chroot: OK };
const NO_KVM: Finding = { ok: false, detail: '/dev/kvm absent' };
const KVM: Finding = { ok: true, detail: 'booted to /init in 300 ms' };

function registryWith(probes: Record<string, Probe>, kvm: Finding = NO_KVM): Registry {
  const reg = new Registry(new EnvStore(resolvePaths({ BERTH_ROOT: '/nonexistent-berth-test' })));
  for (const d of reg.all()) {
    (d as { probe: Driver['probe'] }).probe = async () =>
      probes[d.name] ?? { ok: false, reason: 'not implemented yet', details: {} };
  }
  reg.kvm = async () => kvm;
  return reg;
}

test('auto without KVM: a container, even where uml and (TCG) microvm work; says why and what --isolation kernel would give', async () => {
  const { driver, choice } = await registryWith(ALL).select(defaultSpec(), false);
  assert.equal(driver.name, 'container');
  assert.deepEqual(choice.passedOver, [
    {
      backend: 'microvm',
      reason:
        'KVM does not work here: /dev/kvm absent; TCG emulation only on request (--isolation kernel or --backend microvm)',
    },
  ]);
  assert.equal(choice.requested, 'auto');
  assert.equal(choice.source, 'default');
  assert.equal(choice.kernelIsolation, 'uml');
  // As a normal user too.
  assert.equal((await registryWith(ALL).select(defaultSpec(), true)).driver.name, 'container');
});

test('auto with working KVM: microvm', async () => {
  const { driver, choice } = await registryWith(ALL, KVM).select(defaultSpec(), true);
  assert.equal(driver.name, 'microvm');
  assert.deepEqual(choice.passedOver, []);
  assert.equal(choice.kernelIsolation, 'microvm (KVM)');
});

test('auto falls back to chroot when no container works, and records why stronger ones were passed over', async () => {
  const { driver, choice } = await registryWith({ chroot: OK }).select(defaultSpec(), false);
  assert.equal(driver.name, 'chroot');
  assert.deepEqual(
    choice.passedOver.map((p) => p.backend),
    ['microvm', 'container'],
  );
  assert.match(choice.kernelIsolation ?? '', /^nothing here/);
});

test('auto skips a backend that cannot honour the spec (chroot and limits)', async () => {
  const reg = registryWith({ chroot: OK });
  await assert.rejects(
    reg.select(defaultSpec({ limits: { memoryBytes: 1 << 20 } }), false),
    /no backend can run this here.*chroot: the chroot backend cannot enforce --memory/,
  );
});

test('--isolation kernel: microvm with KVM, else uml, else microvm under TCG', async () => {
  const kernel = defaultSpec({ isolation: 'kernel' });
  assert.equal((await registryWith(ALL, KVM).select(kernel, false)).driver.name, 'microvm');
  const uml = await registryWith(ALL).select(kernel, true);
  assert.equal(uml.driver.name, 'uml');
  assert.match(uml.choice.passedOver[0]?.reason ?? '', /KVM does not work here/);
  const tcg = await registryWith({ ...ALL, uml: { ok: false, reason: 'no uml kernel', details: {} } }).select(
    kernel,
    false,
  );
  assert.equal(tcg.driver.name, 'microvm');
  assert.deepEqual(
    tcg.choice.passedOver.map((p) => p.backend),
    ['microvm', 'uml'],
  );
});

test('--isolation namespaces never falls to uml or TCG microvm unasked, and never to chroot', async () => {
  const reg = registryWith({ ...ALL, container: { ok: false, reason: 'no user namespaces', details: {} } });
  await assert.rejects(
    reg.select(defaultSpec({ isolation: 'namespaces' }), false),
    (e: unknown) =>
      isBerthError(e) &&
      /no backend can run this here.*container: no user namespaces.*\(see "berth doctor"; a kernel of its own without KVM \(uml, or microvm under TCG\) only on request: --isolation kernel/.test(
        e.oneLine(),
      ),
  );
});

test('a named backend that does not work is an error, never a fallback', async () => {
  const reg = registryWith({ chroot: OK });
  await assert.rejects(
    reg.select(defaultSpec({ backend: 'uml' }), false),
    /the uml backend does not work here: not implemented yet/,
  );
  await assert.rejects(
    reg.select(defaultSpec({ backend: 'chroot', limits: { cpus: 1 } }), false),
    /cannot enforce --cpus/,
  );
});

test('a named backend (from BERTH_BACKEND or a config file) is used as named; its source is recorded', async () => {
  const { driver, choice } = await registryWith(ALL).select(defaultSpec({ backend: 'uml' }), false, 'BERTH_BACKEND');
  assert.equal(driver.name, 'uml');
  assert.equal(choice.source, 'BERTH_BACKEND');
  assert.equal(choice.requested, 'uml');
  assert.equal((await registryWith(ALL).select(defaultSpec({ backend: 'microvm' }), false)).driver.name, 'microvm');
  await assert.rejects(
    registryWith(ALL).select(defaultSpec({ backend: 'chroot', isolation: 'kernel' }), false, '/etc/berth/config.json'),
    /the chroot backend \(from \/etc\/berth\/config.json\) gives filesystem isolation, less than --isolation kernel/,
  );
});

test('never weaker isolation than asked', async () => {
  const reg = registryWith({ chroot: OK });
  await assert.rejects(reg.select(defaultSpec({ isolation: 'kernel' }), false), /no backend can run this here/);
  await assert.rejects(
    reg.select(defaultSpec({ backend: 'chroot', isolation: 'namespaces' }), false),
    /less than --isolation namespaces/,
  );
});

test('--kernel is refused by the backends that share the host kernel', async () => {
  const reg = registryWith({ chroot: OK, container: OK });
  await assert.rejects(
    reg.select(defaultSpec({ backend: 'chroot', kernel: 'microvm' }), false),
    /chroot backend shares the host kernel: --kernel needs microvm or uml/,
  );
  await assert.rejects(
    reg.select(defaultSpec({ backend: 'container', kernel: './bzImage' }), false),
    /container backend shares the host kernel/,
  );
  await assert.rejects(reg.select(defaultSpec({ kernel: 'uml' }), false), /no backend can run this here/);
});

const PORTS = [{ hostPort: 8080, guestPort: 80, protocol: 'tcp' as const }];

test('-p without --network: root gets the default bridge, a normal user gets user networking, on every backend; inspect says why', async () => {
  for (const backend of ['container', 'chroot', 'uml', 'microvm'] as const) {
    const asRoot = await registryWith(ALL).select(defaultSpec({ backend, ports: PORTS }), false);
    assert.equal(asRoot.spec.network, 'bridge', backend);
    assert.match(asRoot.networkDefault ?? '', /^bridge: -p was given without --network/);
    const asUser = await registryWith(ALL).select(defaultSpec({ backend, ports: PORTS }), true);
    assert.equal(asUser.spec.network, 'user', backend);
    assert.match(asUser.networkDefault ?? '', /^user: -p was given without --network/);
  }
  const auto = await registryWith(ALL).select(defaultSpec({ ports: PORTS }), true);
  assert.equal(auto.driver.name, 'container');
  assert.equal(auto.spec.network, 'user');
  // Without -p, or with --network given, nothing is defaulted.
  const plain = await registryWith(ALL).select(defaultSpec(), false);
  assert.equal(plain.spec.network, undefined);
  assert.equal(plain.networkDefault, undefined);
  const named = await registryWith(ALL).select(defaultSpec({ network: 'user', ports: PORTS }), false);
  assert.equal(named.spec.network, 'user');
  assert.equal(named.networkDefault, undefined);
});

test('--network none with -p stays an error', async () => {
  await assert.rejects(
    registryWith(ALL).select(defaultSpec({ backend: 'container', network: 'none', ports: PORTS }), false),
    /-p needs a network of the environment's own, and --network is none/,
  );
  await assert.rejects(
    registryWith(ALL).select(defaultSpec({ network: 'none', ports: PORTS }), false),
    /no backend can run this here/,
  );
});
