import { test } from 'node:test';
import assert from 'node:assert/strict';
import { driverFor, OPERATIONS } from '../../../src/drivers/backend-driver.js';
import { BACKENDS } from '../../../src/drivers/registry.js';
import { EnvStore } from '../../../src/core/env-store.js';
import { resolvePaths } from '../../../src/core/paths.js';
import { BACKEND_NAMES, defaultSpec, type BackendName } from '../../../src/core/spec.js';
import { resolveSpec } from '../../../src/core/resolved-spec.js';
import type { BackendDescriptor, DriverOps, Handle } from '../../../src/drivers/driver.js';
import { UML_CAPABILITIES } from '../../../src/drivers/uml/uml-capabilities.js';

const store = new EnvStore(resolvePaths({ BERTH_ROOT: '/nonexistent-berth-test' }));
/** A spec as the registry hands it to the uml backend. */
const umlSpec = resolveSpec(defaultSpec(), 'uml', false).spec;
const h: Handle = { id: 'x', name: 'x', backend: 'uml', dir: '/nonexistent' };

/**
 * The contract's operations with arguments to call them with. Typed against DriverOps: an
 * operation added to the contract does not compile here until it is listed (and so tested).
 */
const CALLS: { [K in keyof DriverOps]: Parameters<DriverOps[K]> } = {
  create: [{ id: 'x', name: 'x', dir: '/d', spec: umlSpec, image: {} as never, rootless: true }],
  start: [h],
  exec: [h, ['true'], { tty: false, interactive: false, env: {} }],
  signal: [h, 'TERM'],
  openStdin: [h],
  resize: [h, { rows: 30, cols: 100 }],
  stop: [h, { timeoutMs: 1 }],
  remove: [h, { force: true }],
  wait: [h],
  inspect: [h],
  recover: ['/d'],
  stats: [h],
  processes: [h],
  pause: [h],
  resume: [h],
  checkpoint: [h, 'cp'],
  restore: [h, 'cp'],
  saveTemplate: [h, '/d'],
  machine: [h],
};

/** A loaded driver that records which operation it was asked for, with what, and answers with its name. */
function recorder(): { ops: DriverOps; calls: [string, unknown[]][] } {
  const calls: [string, unknown[]][] = [];
  const ops = new Proxy({} as DriverOps, {
    // Not a thenable: awaiting the loaded driver must give the driver itself.
    get: (_t, op) =>
      op === 'then'
        ? undefined
        : async function (this: unknown, ...args: unknown[]) {
            assert.equal(this, ops, `${String(op)} is called on the loaded driver`);
            calls.push([String(op), args]);
            return `result of ${String(op)}`;
          },
  });
  return { ops, calls };
}

function descriptor(load: () => Promise<DriverOps>): BackendDescriptor {
  return {
    name: 'uml',
    capabilities: UML_CAPABILITIES,
    probe: async () => ({ ok: true, reason: '', details: {} }),
    validate: () => [],
    load,
  };
}

test('every operation of the driver contract reaches the loaded driver, with its arguments and result', async () => {
  assert.deepEqual(Object.keys(OPERATIONS).sort(), Object.keys(CALLS).sort());
  const { ops, calls } = recorder();
  const driver = driverFor(
    descriptor(async () => ops),
    store,
    [],
  );
  for (const [op, args] of Object.entries(CALLS)) {
    const fn = driver[op as keyof DriverOps] as (...a: unknown[]) => Promise<unknown>;
    assert.equal(typeof fn, 'function', op);
    assert.equal(await fn(...args), `result of ${op}`, op);
    assert.deepEqual(calls.at(-1), [op, args], op);
  }
  assert.equal(calls.length, Object.keys(CALLS).length);
});

test('the backend loads once, on the first operation; probe, capabilities, validate and enforcement do not load it', async () => {
  let loads = 0;
  const { ops } = recorder();
  const driver = driverFor(
    descriptor(async () => {
      loads++;
      return ops;
    }),
    store,
    [],
  );
  assert.equal((await driver.probe()).ok, true);
  assert.equal(driver.capabilities(), UML_CAPABILITIES);
  assert.deepEqual(driver.validate(umlSpec, false), []);
  assert.equal(driver.enforcement(h), undefined);
  assert.equal(loads, 0);
  await Promise.all([driver.stats(h), driver.processes(h), driver.inspect(h)]);
  await driver.wait(h);
  assert.equal(loads, 1);
});

test('a backend that fails to load fails the operation, not the registry', async () => {
  const driver = driverFor(
    descriptor(async () => {
      throw new Error('no such chunk');
    }),
    store,
    [],
  );
  assert.deepEqual(driver.validate(umlSpec, false), []);
  await assert.rejects(driver.start(h), /no such chunk/);
});

test('limits, --disk-size and --kernel are refused from capabilities, naming the backends that can', () => {
  const drivers = Object.fromEntries(
    BACKENDS.map((b) => [
      b.name,
      driverFor(
        b,
        store,
        BACKENDS.filter((o) => o !== b),
      ),
    ]),
  );
  const fields = (name: string, spec = defaultSpec()) =>
    drivers[name]!.validate(resolveSpec(spec, name as BackendName, false).spec, false);
  const limits = defaultSpec({ limits: { memoryBytes: 512 << 20, cpus: 2, pidsLimit: 5 } });
  assert.deepEqual(
    fields('chroot', limits).map((p) => p.message),
    [
      'the chroot backend cannot enforce --memory',
      'the chroot backend cannot enforce --cpus',
      'the chroot backend cannot enforce --pids-limit',
    ],
  );
  assert.equal(
    fields('chroot', limits)[0]!.fix,
    'drop --memory, pass --ignore-unenforced, or use --backend microvm or uml or container',
  );
  assert.equal(
    fields('uml', limits)[1]!.fix,
    'drop --pids-limit, pass --ignore-unenforced, or use --backend container',
  );
  assert.deepEqual(
    fields('uml', limits).map((p) => p.field),
    ['cpus', 'pids-limit'],
  );
  assert.deepEqual(
    fields('microvm', limits).map((p) => p.field),
    ['pids-limit'],
  );
  assert.deepEqual(fields('chroot', { ...limits, ignoreUnenforced: true }), []);
  const disk = defaultSpec({ diskSizeBytes: 2 << 30 });
  assert.equal(
    fields('container', disk)[0]!.message,
    'the container backend has no disk (--disk-size is for microvm or uml)',
  );
  assert.deepEqual(fields('uml', disk), []);
  const kernel = defaultSpec({ kernel: 'uml' });
  assert.equal(
    fields('chroot', kernel)[0]!.message,
    'the chroot backend shares the host kernel: --kernel needs microvm or uml',
  );
  assert.equal(fields('chroot', kernel)[0]!.fix, 'use --backend microvm or uml, or drop --kernel');
  assert.deepEqual(fields('microvm', kernel), []);
});

test('every backend is described once, strongest first', () => {
  assert.deepEqual(
    BACKENDS.map((b) => b.name),
    [...BACKEND_NAMES],
  );
});
