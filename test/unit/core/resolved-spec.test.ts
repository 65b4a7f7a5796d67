/**
 * The resolved spec (src/core/resolved-spec.ts): each option parsed and defaulted once per
 * backend, and every rule about these options, each with its message; older records load.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSpec, BACKEND_NETWORK, VM_DEFAULT_MEMORY, MiB } from '../../../src/core/resolved-spec.js';
import { BACKEND_NAMES, defaultSpec, type BackendName, type EnvSpec } from '../../../src/core/spec.js';
import { validateSpec } from '../../../src/core/spec-validate.js';
import { formatSize } from '../../../src/core/units.js';
import { EnvStore, type EnvRecord } from '../../../src/core/env-store.js';
import { resolvePaths } from '../../../src/core/paths.js';
import { networkProblems, vmNetworkProblems } from '../../../src/drivers/common/network-validate.js';
import { UML_MEMORY_FLOOR, validateUml } from '../../../src/drivers/uml/uml-capabilities.js';
import { MICROVM_MEMORY_FLOOR, validateMicrovm } from '../../../src/drivers/microvm/microvm-capabilities.js';
import { isBerthError } from '../../../src/core/errors.js';

const PORT = { hostPort: 8080, guestPort: 80, protocol: 'tcp' as const };
const resolved = (partial: Partial<EnvSpec>, backend: BackendName, rootless = false) =>
  resolveSpec(defaultSpec(partial), backend, rootless);

test('defaults per backend: the network (chroot shares the host), VM memory in MiB, accel auto', () => {
  const want = {
    chroot: { network: { kind: 'host' }, accel: 'auto' },
    container: { network: { kind: 'none' }, accel: 'auto' },
    uml: { network: { kind: 'none' }, memoryMiB: 256, accel: 'auto' },
    microvm: { network: { kind: 'none' }, memoryMiB: 256, accel: 'auto' },
  };
  for (const b of BACKEND_NAMES) {
    for (const rootless of [false, true]) {
      const r = resolved({}, b, rootless);
      assert.deepEqual(r.spec.resolved, want[b], `${b} rootless=${rootless}`);
      assert.equal(r.why, undefined);
      // The raw value stays as asked: the backend's default is not written into spec.network.
      assert.equal(r.spec.network, undefined);
    }
  }
  assert.equal(BACKEND_NETWORK.chroot, 'host');
  assert.equal(VM_DEFAULT_MEMORY.uml, 256 * MiB);
});

test('--network given is parsed once into a value; bytes become MiB once (rounded down); --accel kept', () => {
  assert.deepEqual(resolved({ network: 'user' }, 'container').spec.resolved.network, { kind: 'user' });
  assert.deepEqual(resolved({ network: 'bridge' }, 'uml').spec.resolved.network, { kind: 'bridge', network: 'bridge' });
  assert.deepEqual(resolved({ network: 'web' }, 'microvm').spec.resolved.network, { kind: 'bridge', network: 'web' });
  assert.deepEqual(resolved({ network: 'host' }, 'container').spec.resolved.network, { kind: 'host' });
  assert.equal(resolved({ limits: { memoryBytes: 100 * MiB + 5 } }, 'uml').spec.resolved.memoryMiB, 100);
  assert.equal(resolved({ limits: { memoryBytes: 512 * MiB } }, 'microvm').spec.resolved.memoryMiB, 512);
  // A container's --memory is a cgroup limit in bytes: no MiB are made up for it.
  assert.equal(resolved({ limits: { memoryBytes: 512 * MiB } }, 'container').spec.resolved.memoryMiB, undefined);
  assert.equal(resolved({ accel: 'tcg' }, 'microvm').spec.resolved.accel, 'tcg');
  // Resolving again (a record's spec) gives the same value, not a second default on top.
  const once = resolved({ ports: [PORT] }, 'container').spec;
  assert.deepEqual(resolveSpec(once, 'container', false).spec, once);
});

test('-p without --network: root gets the default bridge, a normal user user networking, both said why', () => {
  for (const b of BACKEND_NAMES) {
    const root = resolved({ ports: [PORT] }, b, false);
    assert.deepEqual(root.spec.resolved.network, { kind: 'bridge', network: 'bridge' }, b);
    assert.equal(root.spec.network, 'bridge', 'recorded in spec.network too, as older versions did');
    assert.match(root.why ?? '', /^bridge: -p was given without --network \(as root/);
    const user = resolved({ ports: [PORT] }, b, true);
    assert.deepEqual(user.spec.resolved.network, { kind: 'user' }, b);
    assert.equal(user.spec.network, 'user');
    assert.match(user.why ?? '', /^user: -p was given without --network \(as a normal user/);
  }
  // An explicit --network, none included, is never changed.
  const none = resolved({ network: 'none', ports: [PORT] }, 'container');
  assert.deepEqual(none.spec.resolved.network, { kind: 'none' });
  assert.equal(none.why, undefined);
});

test('a --network value that names nothing is refused where it is parsed (SpecError, exit 125)', () => {
  const refused = (value: string, re: RegExp) =>
    assert.throws(
      () => resolved({ network: value }, 'container'),
      (e: unknown) => isBerthError(e) && e.exitCode === 125 && re.test(e.message) && (e.fix ?? '') !== '',
    );
  refused('pasta', /^--network pasta: berth picks pasta or slirp4netns itself$/);
  refused('slirp4netns', /berth picks pasta or slirp4netns itself/);
  refused('bad name', /^invalid network name "bad name"$/);
  refused('-x', /invalid network name/);
});

test('the network rules, each in one place, with its message', () => {
  const port = { ports: [PORT] };
  const p = (partial: Partial<EnvSpec>, b: BackendName, rootless: boolean) => {
    const spec = resolved(partial, b, rootless).spec;
    return b === 'uml' || b === 'microvm' ? vmNetworkProblems(spec, rootless, b) : networkProblems(spec, rootless);
  };
  for (const b of BACKEND_NAMES) {
    assert.deepEqual(p({ network: 'none', ...port }, b, false), [
      {
        field: 'publish',
        message: "-p needs a network of the environment's own, and --network is none",
        fix: 'add --network user, --network bridge or --network NAME',
      },
    ]);
    assert.deepEqual(p({ network: 'lan' }, b, true), [
      { field: 'network', message: '--network lan (a bridge) needs root', fix: 'use --network user as a normal user' },
    ]);
    assert.deepEqual(p({ network: 'lan' }, b, false), []);
    assert.deepEqual(p({ network: 'user', ...port }, b, true), []);
  }
  // --network host (chroot's default, given here): the command binds host ports itself.
  assert.deepEqual(
    p({ network: 'host', ...port }, 'chroot', false)[0]?.message,
    "-p needs a network of the environment's own, and --network is host",
  );
  for (const b of ['uml', 'microvm'] as const) {
    assert.deepEqual(p({ network: 'host' }, b, false), [
      {
        field: 'network',
        message: `a ${b} guest runs its own kernel and cannot share the host's network (--network host)`,
        fix: 'use --network user, --network bridge (root) or --backend container',
      },
    ]);
  }
});

test('the memory floors: the message names the floor and the default from their constants', () => {
  assert.equal(formatSize(UML_MEMORY_FLOOR), '48m');
  assert.equal(formatSize(MICROVM_MEMORY_FLOOR), '96m');
  assert.equal(formatSize(256 * MiB), '256m');
  assert.equal(formatSize(2 * 1024 * MiB), '2g');
  assert.equal(formatSize(6 * 1024), '6k');
  assert.equal(formatSize(100 * MiB + 5), String(100 * MiB + 5));
  const uml = validateUml(resolved({ limits: { memoryBytes: UML_MEMORY_FLOOR - 1 } }, 'uml').spec);
  assert.deepEqual(uml, [
    {
      field: 'memory',
      message: `--memory ${UML_MEMORY_FLOOR - 1} bytes is too small for a uml kernel`,
      fix: 'give at least 48m (the default is 256m)',
    },
  ]);
  assert.deepEqual(validateUml(resolved({ limits: { memoryBytes: UML_MEMORY_FLOOR } }, 'uml').spec), []);
  const vm = validateMicrovm(resolved({ limits: { memoryBytes: 32 * MiB } }, 'microvm').spec, () => false);
  assert.deepEqual(vm, [
    {
      field: 'memory',
      message: '--memory 33554432 bytes is too small for a microvm guest kernel',
      fix: 'give at least 96m (the default is 256m)',
    },
  ]);
  assert.deepEqual(validateMicrovm(resolved({ limits: { memoryBytes: MICROVM_MEMORY_FLOOR } }, 'microvm').spec), []);
});

test('--accel: one parse (core/accel.ts) for validation and resolution; kvm and tcg only on microvm', () => {
  assert.throws(
    () => validateSpec(defaultSpec({ accel: 'warp' as never })),
    (e: unknown) => isBerthError(e) && e.code === 'bad-accel' && e.message === 'unknown --accel "warp"',
  );
  assert.throws(() => resolved({ accel: 'warp' as never }, 'microvm'), /unknown --accel "warp"/);
  assert.throws(
    () => validateSpec(defaultSpec({ backend: 'uml', accel: 'tcg' })),
    /--accel tcg is for the microvm backend, not uml/,
  );
  validateSpec(defaultSpec({ backend: 'auto', accel: 'tcg' }));
});

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

test('records written by older versions (no spec.resolved) load resolved, as at creation', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-resolved-'));
  roots.push(root);
  const store = new EnvStore(resolvePaths({ BERTH_ROOT: root }, false));
  const old = (backend: BackendName, spec: EnvSpec, rootless: boolean) =>
    store.allocate(undefined, (id, name) => ({
      id,
      name,
      backend,
      choice: { chosen: backend, passedOver: [] },
      spec: spec as EnvRecord['spec'],
      image: {
        ref: 'busybox',
        digest: 'sha256:0',
        layers: [],
        config: { env: {}, cmd: ['sh'], entrypoint: [], workdir: '/', user: '' },
      },
      rootless,
      hostname: 'h',
      command: { entrypoint: [], cmd: ['sh'], argv: ['sh'] },
      createdAt: new Date().toISOString(),
      driverData: {},
    }));
  const cases: [BackendName, Partial<EnvSpec>, boolean][] = [
    ['chroot', {}, false],
    ['container', { network: 'user', ports: [PORT] }, true],
    ['uml', { limits: { memoryBytes: 128 * MiB } }, true],
    ['microvm', { network: 'bridge', accel: 'tcg' }, false],
  ];
  for (const [backend, partial, rootless] of cases) {
    const rec = await old(backend, defaultSpec(partial), rootless);
    const file = join(store.dirOf(rec.id), 'config.json');
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(raw.spec.resolved, undefined, 'written as an older version wrote it');
    writeFileSync(file, JSON.stringify(raw));
    const read = store.readRecord(rec.id)!;
    assert.deepEqual(read.spec.resolved, resolved(partial, backend, rootless).spec.resolved, backend);
    assert.deepEqual(store.find(rec.id).spec.resolved, read.spec.resolved);
  }
  assert.equal(store.list().length, cases.length);
});
