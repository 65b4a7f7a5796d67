/**
 * The QMP client against a real `qemu-system-x86_64 -M microvm -S` (no kernel is needed while
 * the CPUs are stopped): greeting, capabilities, query-status, stop/cont with their events,
 * a failing command, quit. Once as root and once with QEMU run by the unprivileged test user.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { QmpClient, QmpError } from '../../../src/drivers/microvm/qmp.js';
import { requireThat } from '../../helpers/requirements.js';
import { ensureTestUser, TEST_USER } from '../../helpers/test-user.js';

const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const isRoot = process.getuid?.() === 0;

async function startQemu(dir: string, asUser: boolean): Promise<{ child: ChildProcess; sock: string }> {
  const sock = join(dir, 'qmp.sock');
  const argv = [
    'qemu-system-x86_64',
    '-M',
    'microvm',
    '-accel',
    'tcg',
    '-S',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-m',
    '64M',
    '-chardev',
    `socket,id=qmp,path=${sock},server=on,wait=off`,
    '-mon',
    'chardev=qmp,mode=control',
  ];
  const child = asUser
    ? spawn('runuser', ['-u', TEST_USER, '--', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 200 && !existsSync(sock); i++) {
    if (child.exitCode !== null) throw new Error(`qemu exited: ${err}`);
    await sleep(50);
  }
  assert.ok(existsSync(sock), `QMP socket not created: ${err}`);
  return { child, sock };
}

for (const mode of ['root', 'rootless'] as const) {
  test(`QMP client against a paused microvm (${mode})`, async (t) => {
    if (!requireThat(t, hasQemu, 'qemu-system-x86_64 (apt-get install qemu-system-x86)')) return;
    if (!requireThat(t, isRoot, 'root (to run QEMU as root and as the test user)')) return;
    const dir = mkdtempSync(join(tmpdir(), `berth-qmp-${mode}-`));
    if (mode === 'rootless') {
      const u = ensureTestUser();
      chownSync(dir, u.uid, u.gid);
      chmodSync(dir, 0o755);
    }
    const { child, sock } = await startQemu(dir, mode === 'rootless');
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    // The socket file exists from QEMU's bind(), a moment before its listen(): retry a refusal.
    let qmp: QmpClient | undefined;
    for (let i = 0; i < 100 && !qmp; i++)
      qmp = await QmpClient.connect(sock).catch(async (e: Error) => {
        if (!/ECONNREFUSED/.test(e.message) || i === 99) throw e;
        await sleep(50);
        return undefined;
      });
    assert.ok(qmp);
    assert.equal(qmp.greeting.version.qemu.major >= 7, true, JSON.stringify(qmp.greeting));

    assert.deepEqual(await qmp.execute('query-status'), { status: 'prelaunch', singlestep: false, running: false });
    const resumed = qmp.waitEvent('RESUME', 5000);
    await qmp.execute('cont');
    await resumed;
    assert.equal((await qmp.execute<{ running: boolean }>('query-status')).running, true);
    const stopped = qmp.waitEvent('STOP', 5000);
    await qmp.execute('stop');
    await stopped;
    assert.equal((await qmp.execute<{ status: string }>('query-status')).status, 'paused');

    // Concurrent commands are matched to their own replies.
    const [a, b] = await Promise.all([
      qmp.execute<{ running: boolean }>('query-status'),
      qmp.execute<{ qemu: { major: number } }>('query-version'),
    ]);
    assert.equal(a.running, false);
    assert.equal(b.qemu.major, qmp.greeting.version.qemu.major);

    await assert.rejects(
      qmp.execute('no-such-command'),
      (e: unknown) => e instanceof QmpError && /CommandNotFound/.test(e.message),
    );
    await assert.rejects(qmp.execute('device_del', { id: 'nope' }), QmpError);

    const shutdown = qmp.waitEvent('SHUTDOWN', 5000);
    await qmp.execute('quit');
    await shutdown;
    assert.equal(await exited, 0);
    await assert.rejects(qmp.execute('query-status'), /closed/);
    qmp.close();
  });
}

test('QMP client: connecting to a socket nobody serves is a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-qmp-none-'));
  try {
    await assert.rejects(
      QmpClient.connect(join(dir, 'absent.sock'), 1000),
      (e: unknown) => e instanceof QmpError && /cannot talk QMP/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
