import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killOrder, parseProcStat } from '../../../src/drivers/vm/vm-processes.js';

test('parseProcStat reads state, parent and group past a command name with blanks and parentheses', () => {
  assert.deepEqual(parseProcStat(42, '42 (linux (uml) x) t 40 40 40 0 -1'), {
    pid: 42,
    state: 't',
    ppid: 40,
    pgid: 40,
  });
  assert.equal(parseProcStat(1, 'garbage'), undefined);
});

test('killOrder: groups led by a listed process first, then leaves before their parents', () => {
  const monitor = { pid: 10, state: 'S', ppid: 1, pgid: 10 };
  const kernel = { pid: 20, state: 'S', ppid: 10, pgid: 20 };
  const guest1 = { pid: 21, state: 't', ppid: 20, pgid: 20 };
  const guest2 = { pid: 22, state: 't', ppid: 20, pgid: 20 };
  const order = killOrder([monitor, kernel, guest1, guest2], 99);
  assert.deepEqual(order.groups, [10, 20]);
  assert.deepEqual(order.pids, [21, 22, 20, 10]);
});

test("killOrder never kills the caller's own group nor a group whose leader is not listed", () => {
  const inShellJob = { pid: 31, state: 'S', ppid: 30, pgid: 30 };
  const inOurGroup = { pid: 41, state: 'S', ppid: 40, pgid: 41 };
  const order = killOrder([inShellJob, inOurGroup], 41);
  assert.deepEqual(order.groups, []);
  assert.deepEqual(order.pids, [31, 41]);
});

test('killOrder with 300,000 host processes (a guest fork bomb under uml): no stack overflow', () => {
  const procs = [{ pid: 20, state: 'S', ppid: 1, pgid: 20 }];
  for (let i = 0; i < 300_000; i++) procs.push({ pid: 1000 + i, state: 't', ppid: 20, pgid: 20 });
  const order = killOrder(procs, 99);
  assert.equal(order.pids.length, 300_001);
  assert.equal(order.pids.at(-1), 20, 'the parent after its children');
});
