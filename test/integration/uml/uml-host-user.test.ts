/**
 * Issue 17.3, ADR 0046: no host process of a uml environment that root started runs as host root.
 * As root, inside a network namespace this test makes, two environments with a long command: one
 * on a bridge network with -p and a read-write -v, one on --network user (the kernel's slirp
 * helper) with -p. Every host process of each (the kernel, its threads, its guest processes and
 * helpers: found by the environment's directory in their argv and as their descendants) has
 * non-zero real, effective, saved and filesystem uids and gids; exec, -v, -p, pause/unpause,
 * stop and rm work; nothing is left. As the unprivileged test user nothing changes: the kernel
 * runs as that user.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { isRoot, type Runner, type Result } from '../../helpers/berth-cli.js';
import { bridgeRig } from '../../helpers/bridge-rig.js';
import { requireThat } from '../../helpers/requirements.js';
import type { TestNetns } from '../../helpers/netns.js';
import { ensureTestUser } from '../../helpers/test-user.js';
import { findExecutable } from '../../../src/host/probes/exec.js';
import { processesMentioning } from '../../../src/drivers/vm/vm-processes.js';

const TOOLS = ['ip', 'nft', 'busybox', 'linux.uml', 'slirp', 'uml_mconsole'];
const missingTools = TOOLS.filter((t) => !findExecutable(t));
const ready = isRoot() && missingTools.length === 0;
const why = !isRoot()
  ? 'root (the test makes a network namespace and the test user)'
  : `tools: ${missingTools.join(', ')}`;
const VM_MS = 300_000;
const NET = 'tumlu';

interface Ids {
  pid: number;
  comm: string;
  uids: number[];
  gids: number[];
}

/** Real, effective, saved and filesystem ids of every thread of `pid` (gone: none). */
function threadIds(pid: number): Ids[] {
  const out: Ids[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      const st = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      const field = (k: string) =>
        (new RegExp(`^${k}:\\s+(.*)$`, 'm').exec(st)?.[1] ?? '').trim().split(/\s+/).map(Number);
      out.push({
        pid: Number(t),
        comm: (/^Name:\s+(.*)$/m.exec(st)?.[1] ?? '').trim(),
        uids: field('Uid'),
        gids: field('Gid'),
      });
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

function parentOf(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The environment's host processes: argv naming its directory, and their descendants; not its monitor. */
function envProcesses(envDir: string, monitor: number): number[] {
  const found = new Set(processesMentioning(envDir).filter((p) => p !== monitor));
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e) || found.has(Number(e)) || Number(e) === monitor) continue;
      const pp = parentOf(Number(e));
      if (pp !== undefined && found.has(pp)) {
        found.add(Number(e));
        grew = true;
      }
    }
  }
  return [...found];
}

function envDirOf(r: Runner, id: string): string {
  return join(r.root, 'envs', id);
}

function monitorOf(r: Runner, id: string): number {
  return (JSON.parse(readFileSync(join(envDirOf(r, id), 'pids.json'), 'utf8')) as { monitor: number }).monitor;
}

/** Every thread of every host process of the environment; at least the kernel and a guest process. */
function idsOf(r: Runner, id: string): Ids[] {
  const pids = envProcesses(envDirOf(r, id), monitorOf(r, id));
  const all = pids.flatMap(threadIds);
  assert.ok(
    all.some((i) => i.comm === 'linux.uml' || i.comm.startsWith('linux')),
    `no kernel found: ${JSON.stringify(all)}`,
  );
  assert.ok(all.length >= 3, `too few processes found: ${JSON.stringify(all)}`);
  return all;
}

function ok(res: Result, what: string): string {
  assert.equal(res.code, 0, `${what}: ${res.stderr}`);
  return res.stdout;
}

function sharedDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-umlu-vol-'));
  chmodSync(d, 0o777);
  writeFileSync(join(d, 'in.txt'), 'from host\n');
  chmodSync(join(d, 'in.txt'), 0o644);
  return d;
}

const LONG = ['--', 'sh', '-c', 'echo up > /tmp/up; exec sleep 3600'];

describe('uml: no host process of an environment root started runs as host root (ADR 0046)', {
  concurrency: 2,
}, () => {
  let ns: TestNetns | undefined;
  let root: Runner;
  let user: Runner;
  let vol: string | undefined;
  const rig = bridgeRig({ kernels: ['uml'], network: NET, withUser: true, vmMs: VM_MS });
  before(async () => {
    if (!ready) return;
    ({ ns, root, user } = await rig.setUp());
    vol = sharedDir();
  });
  after(async () => {
    await rig.tearDown();
    if (vol) rmSync(vol, { recursive: true, force: true });
  });

  it('as root: a bridge network with -p and -v, and --network user with -p; every process non-root; exec, pause, stop, rm', {
    timeout: 900_000,
  }, async (t) => {
    if (!requireThat(t, ready, why)) return;
    ok(await ns!.berth(root, ['network', 'create', NET, '--subnet', '10.127.0.0/24']), 'network create');
    const [bridged, slirped] = await Promise.all([
      ns!.berth(
        root,
        [
          'run',
          '-d',
          '-q',
          '--backend',
          'uml',
          '--network',
          NET,
          '-p',
          '127.0.0.1:18230:80',
          '-v',
          `${vol}:/data`,
          '--',
          'sh',
          '-c',
          'echo from-bridge > /tmp/index.html; httpd -p 80 -h /tmp; exec sleep 3600',
        ],
        VM_MS,
      ),
      ns!.berth(
        root,
        [
          'run',
          '-d',
          '-q',
          '--backend',
          'uml',
          '--network',
          'user',
          '-p',
          '127.0.0.1:18231:80',
          '--',
          'sh',
          '-c',
          'echo from-slirp > /tmp/index.html; httpd -p 80 -h /tmp; exec sleep 3600',
        ],
        VM_MS,
      ),
    ]);
    const b = ok(bridged, 'bridge run').trim();
    const s = ok(slirped, 'user run').trim();
    for (const id of [b, s]) {
      for (const i of idsOf(root, id)) {
        assert.ok(i.uids.length === 4 && i.uids.every((u) => u !== 0), `host root process: ${JSON.stringify(i)}`);
        assert.ok(i.gids.length === 4 && i.gids.every((g) => g !== 0), `host root group: ${JSON.stringify(i)}`);
      }
    }
    // Two environments: two identities, neither able to signal or trace the other.
    assert.notEqual(idsOf(root, b)[0]!.uids[0], idsOf(root, s)[0]!.uids[0]);

    // -v: read and written through hostfs, as the kernel's unprivileged identity.
    assert.equal(
      ok(await ns!.berth(root, ['exec', b, 'sh', '-c', 'cat /data/in.txt; echo back > /data/out.txt']), 'exec -v'),
      'from host\n',
    );
    assert.equal(readFileSync(join(vol!, 'out.txt'), 'utf8'), 'back\n');
    // -p on both networks (DNAT to the tap; the monitor's relay over slirp).
    for (const [port, text] of [
      [18230, 'from-bridge'],
      [18231, 'from-slirp'],
    ] as const) {
      let got = '';
      for (let i = 0; i < 60 && got === ''; i++) {
        const w = ns!.sh(['timeout', '20', 'busybox', 'wget', '-qO-', `http://127.0.0.1:${port}/index.html`]);
        got = w.code === 0 ? w.stdout : '';
        if (got === '') await new Promise((res) => setTimeout(res, 500));
      }
      assert.equal(got, `${text}\n`, `-p ${port}`);
    }
    // Pause and unpause through the mconsole, then the guest still answers.
    ok(await ns!.berth(root, ['pause', b]), 'pause');
    ok(await ns!.berth(root, ['unpause', b]), 'unpause');
    assert.equal(
      ok(await ns!.berth(root, ['exec', b, 'cat', '/tmp/index.html']), 'exec after unpause'),
      'from-bridge\n',
    );
    // stop (clean), then rm -f of the other: no process of either is left.
    ok(await ns!.berth(root, ['stop', '-t', '2', b], VM_MS), 'stop');
    ok(await ns!.berth(root, ['rm', b, '-f', s], VM_MS), 'rm');
    assert.deepEqual(processesMentioning(join(root.root, 'envs')), []);
    ok(await ns!.berth(root, ['network', 'rm', NET]), 'network rm');
  });

  it('as the unprivileged test user: the kernel runs as that user, as before', { timeout: 600_000 }, async (t) => {
    if (!requireThat(t, ready, why)) return;
    const me = ensureTestUser();
    const id = ok(await user.run(['run', '-d', '-q', '--backend', 'uml', ...LONG], { timeoutMs: VM_MS }), 'run').trim();
    for (const i of idsOf(user, id)) {
      assert.deepEqual(i.uids, [me.uid, me.uid, me.uid, me.uid], JSON.stringify(i));
    }
    assert.equal(ok(await user.run(['exec', id, 'cat', '/tmp/up']), 'exec'), 'up\n');
    ok(await user.run(['rm', '-f', id], { timeoutMs: VM_MS }), 'rm');
    assert.deepEqual(processesMentioning(join(user.root, 'envs')), []);
  });
});
