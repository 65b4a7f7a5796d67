import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../../src/drivers/registry.js';
import { EnvStore } from '../../../src/core/env-store.js';
import { resolvePaths } from '../../../src/core/paths.js';
import { defaultSpec } from '../../../src/core/spec.js';
import type { Driver, Probe } from '../../../src/drivers/driver.js';

function registryWith(probes: Record<string, Probe>): Registry {
  const reg = new Registry(new EnvStore(resolvePaths({ BERTH_ROOT: '/nonexistent-berth-test' })));
  for (const d of reg.all()) {
    (d as { probe: Driver['probe'] }).probe = async () => probes[d.name] ?? { ok: false, reason: 'not implemented yet', details: {} };
  }
  return reg;
}

test('auto picks the strongest working backend and records why stronger ones were passed over', async () => {
  const reg = registryWith({ chroot: { ok: true, reason: '', details: {} } });
  const { driver, choice } = await reg.select(defaultSpec(), false);
  assert.equal(driver.name, 'chroot');
  assert.deepEqual(choice.passedOver.map((p) => p.backend), ['microvm', 'uml', 'container']);
  assert.ok(choice.passedOver.every((p) => p.reason === 'not implemented yet'));
});

test('auto skips a backend that cannot honour the spec (chroot and limits)', async () => {
  const reg = registryWith({ chroot: { ok: true, reason: '', details: {} } });
  await assert.rejects(reg.select(defaultSpec({ limits: { memoryBytes: 1 << 20 } }), false), /no backend can run this here.*chroot: the chroot backend cannot enforce --memory/);
});

test('a named backend that does not work is an error, never a fallback', async () => {
  const reg = registryWith({ chroot: { ok: true, reason: '', details: {} } });
  await assert.rejects(reg.select(defaultSpec({ backend: 'uml' }), false), /the uml backend does not work here: not implemented yet/);
  await assert.rejects(reg.select(defaultSpec({ backend: 'chroot', limits: { cpus: 1 } }), false), /cannot enforce --cpus/);
});

test('never weaker isolation than asked', async () => {
  const reg = registryWith({ chroot: { ok: true, reason: '', details: {} } });
  await assert.rejects(reg.select(defaultSpec({ isolation: 'kernel' }), false), /no backend can run this here/);
  await assert.rejects(reg.select(defaultSpec({ backend: 'chroot', isolation: 'namespaces' }), false), /less than --isolation namespaces/);
});

test('--kernel is refused by the backends that share the host kernel', async () => {
  const reg = registryWith({ chroot: { ok: true, reason: '', details: {} }, container: { ok: true, reason: '', details: {} } });
  await assert.rejects(reg.select(defaultSpec({ backend: 'chroot', kernel: 'microvm' }), false), /chroot backend runs on the host kernel: --kernel needs uml or microvm/);
  await assert.rejects(reg.select(defaultSpec({ backend: 'container', kernel: './bzImage' }), false), /container backend shares the host kernel/);
  await assert.rejects(reg.select(defaultSpec({ kernel: 'uml' }), false), /no backend can run this here/);
});
