import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkPoolName,
  checkPoolRunOptions,
  claimedLabels,
  IDLE_COMMAND,
  memberSpec,
  parsePoolSize,
  poolConflicts,
  type PoolRecord,
} from '../../../src/pools/pool-record.js';
import { defaultSpec } from '../../../src/core/spec.js';
import { SpecError } from '../../../src/core/errors.js';

test('pool sizes: whole numbers from 1 to 64; anything else names the value and the range', () => {
  assert.equal(parsePoolSize('1'), 1);
  assert.equal(parsePoolSize('64'), 64);
  assert.equal(parsePoolSize(2), 2);
  for (const bad of ['0', '-1', '65', '100000', '1.5', 'two', '', ' ', '0x2', ' 2', '2e0']) {
    assert.throws(
      () => parsePoolSize(bad),
      (e: unknown) =>
        e instanceof SpecError &&
        e.oneLine() === `invalid --size "${bad}" (give the number of idle environments to keep, 1 to 64)`,
      bad,
    );
  }
  assert.throws(() => parsePoolSize(undefined), /pool create needs --size N/);
});

test('pool names: as template names', () => {
  checkPoolName('web-1.a_b');
  for (const bad of ['', 'Web', '-x', 'a/b', '.x', 'x'.repeat(65)])
    assert.throws(() => checkPoolName(bad), /invalid pool name/);
});

test('run --pool: only the options a claim can honour; the others are named, CLI spelling', () => {
  assert.deepEqual(
    poolConflicts({
      command: undefined,
      env: { A: '1' },
      workdir: '/tmp',
      user: '1000',
      tty: true,
      interactive: true,
      autoRemove: true,
      name: 'n',
      labels: { a: 'b' },
      mounts: [],
      ports: [],
      limits: {},
      security: { capAdd: [], capDrop: [], seccomp: 'default', privileged: false },
    } as never),
    [],
  );
  assert.deepEqual(
    poolConflicts({
      image: 'busybox',
      backend: 'uml',
      limits: { memoryBytes: 1 },
      ports: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }] as never,
      detach: true,
      security: { capAdd: [], capDrop: [], seccomp: 'default', privileged: true },
    }),
    ['IMAGE', '--backend', '--detach', '--publish', '--memory', '--privileged/--cap-add/--cap-drop/--security-opt'],
  );
  assert.throws(
    () => checkPoolRunOptions('p', { image: 'debian', network: 'bridge' }),
    (e: unknown) =>
      e instanceof SpecError &&
      e.oneLine() ===
        '--pool p fixes IMAGE, --network already (its members are booted) (drop IMAGE, --network, or make a pool with them: berth pool create NAME --size N [OPTIONS] IMAGE)',
  );
});

const pool: PoolRecord = {
  name: 'p',
  size: 2,
  backend: 'uml',
  image: 'busybox',
  spec: defaultSpec({ backend: 'auto', env: { A: '1' }, labels: { mine: 'x' }, entrypoint: ['/bin/tini'], name: 'n' }),
  createdAt: '2026-01-01T00:00:00.000Z',
};

test("a member boots the pool's options on the pool's backend, idle, detached, labelled with pool and builder", () => {
  const m = memberSpec(pool, '12-34-0');
  assert.equal(m.backend, 'uml');
  assert.deepEqual(m.command, IDLE_COMMAND);
  assert.deepEqual(m.entrypoint, [], 'the idle command runs as it is, not as arguments of an ENTRYPOINT');
  assert.equal(m.detach, true);
  assert.equal(m.autoRemove, false);
  assert.equal(m.name, undefined);
  assert.deepEqual(m.env, { A: '1' });
  assert.deepEqual(m.labels, { mine: 'x', 'berth.pool': 'p', 'berth.pool.builder': '12-34-0' });
});

test("a claimed member is no longer the pool's: labelled claimed, with the run's labels", () => {
  assert.deepEqual(claimedLabels({ mine: 'x', 'berth.pool': 'p', 'berth.pool.builder': 't' }, 'p', { run: 'y' }), {
    mine: 'x',
    run: 'y',
    'berth.pool.claimed': 'p',
  });
});
