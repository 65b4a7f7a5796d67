/**
 * Checks only the microvm backend has: the manifest's kernel inside, a small qcow2 overlay over
 * a base that is never written, pause/unpause with the QMP state in inspect, checkpoint then
 * restore resuming a running counter, --network user with -p, and bad input (--accel kvm
 * without KVM, too little --memory, an occupied host port) that leaves nothing behind. One
 * booted VM serves the checks that can share it (TCG boots take seconds).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  rmSync,
  createReadStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MAKE_CHANGES, checkKilledCommit, checkVmCommit } from './vm-commit-checks.js';
import type { Check } from './checks.js';
import { baseDisks, storedEnvs, processesMentioning, type Runner } from '../helpers/berth-cli.js';
import { assertNativeVmMonitor } from './vm-monitor-checks.js';
import { assertFewInitFaultsPerExec } from './guest-init-faults.js';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Allocated bytes on the host (qcow2 and the base are sparse). */
const allocated = (path: string) => statSync(path).blocks * 512;

/** `uname -r` the microvm manifest's kernel has, from its cache record. */
function manifestRelease(r: Runner): string {
  const dir = join(r.root, 'kernels', 'microvm');
  const [version] = readdirSync(dir).filter((v) => existsSync(join(dir, v, 'kernel.json')));
  assert.ok(version, 'the microvm kernel is cached');
  return (JSON.parse(readFileSync(join(dir, version!, 'kernel.json'), 'utf8')) as { release: string }).release;
}

async function assertNothingLeft(r: Runner, what: string): Promise<void> {
  // QEMU may still be a zombie for a moment after the CLI returned: give it a little.
  for (let i = 0; i < 50 && processesMentioning(join(r.root, 'envs')).length > 0; i++) await sleep(100);
  assert.deepEqual(storedEnvs(r.root), [], `${what}: no environment dir (and so no overlay) may remain`);
  assert.deepEqual(processesMentioning(join(r.root, 'envs')), [], `${what}: no qemu or monitor process may remain`);
  const vm = join(r.root, 'run', 'vm');
  assert.deepEqual(existsSync(vm) ? readdirSync(vm) : [], [], `${what}: no runtime dir (sockets) may remain`);
}

async function counter(r: Runner, env: string): Promise<number> {
  const c = await r.run(['exec', env, '--', 'cat', '/tmp/count']);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /^\d+\n$/, 'the counter file holds a number');
  return Number(c.stdout);
}

async function inspectMachine(
  r: Runner,
  env: string,
): Promise<{
  state: string;
  machine: { accel: string; accelReason: string; qmp: { status: string }; checkpoints: string[] };
}> {
  const i = await r.run(['inspect', env]);
  assert.equal(i.code, 0, i.stderr);
  const [d] = JSON.parse(i.stdout) as {
    State: { state: string };
    Machine: { accel: string; accelReason: string; qmp: { status: string }; checkpoints: string[] };
  }[];
  return { state: d!.State.state, machine: d!.Machine };
}

function listen(port = 0): Promise<Server> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen({ host: '127.0.0.1', port }, () => res(s));
  });
}

export const MICROVM_CHECKS: Check[] = [
  {
    name: "microvm: the manifest's kernel, the native monitor, a small overlay, an unchanged base, pause/unpause over QMP, checkpoint and restore, commit when stopped (and killed)",
    async run(r, b) {
      const d = await r.run(
        [
          'run',
          '-d',
          '--backend',
          b,
          '--name',
          'mv1',
          '--',
          'sh',
          '-c',
          // Written whole each time (a rename): a read never sees the file emptied by `>`.
          'i=0; while true; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 1; done',
        ],
        { timeoutMs: 300_000 },
      );
      assert.equal(d.code, 0, d.stderr);
      const id = d.stdout.trim();
      assertNativeVmMonitor(r, id);
      const overlay = join(r.root, 'envs', id, 'disk.qcow2');
      const [base] = baseDisks(r);
      assert.ok(base, 'a base disk was built');
      const fresh = allocated(overlay);
      assert.ok(fresh < 8 * 1024 * 1024, `a fresh overlay is small (${fresh} bytes allocated)`);
      const before = await sha256(base!);

      const uname = await r.run(['exec', 'mv1', '--', 'uname', '-r']);
      assert.equal(uname.code, 0, uname.stderr);
      assert.equal(uname.stdout.trim(), manifestRelease(r), "the guest runs the microvm manifest's kernel");
      await assertFewInitFaultsPerExec(r, 'mv1');

      const w = await r.run(['exec', 'mv1', '--', 'sh', '-c', `${MAKE_CHANGES} && sync && echo written`]);
      assert.equal(w.stdout, 'written\n', w.stderr);
      assert.ok(allocated(overlay) > fresh + 4 * 1024 * 1024 - 65536, 'the writes landed in the overlay');
      assert.equal(await sha256(base!), before, 'the base disk is never written');

      let m = await inspectMachine(r, 'mv1');
      assert.equal(m.machine.qmp.status, 'running');
      assert.match(m.machine.accelReason, /^(KVM|TCG)/, 'inspect says which accelerator and why');
      assert.equal((await r.run(['pause', 'mv1'])).code, 0);
      m = await inspectMachine(r, 'mv1');
      assert.equal(m.state, 'paused');
      assert.equal(m.machine.qmp.status, 'paused');
      const ex = await r.run(['exec', 'mv1', '--', 'true']);
      assert.equal(ex.code, 125);
      assert.match(ex.stderr, /^berth: environment mv1 is paused \(unpause it first/);
      assert.equal((await r.run(['unpause', 'mv1'])).code, 0);
      assert.equal((await inspectMachine(r, 'mv1')).machine.qmp.status, 'running');

      // Checkpoint, let the counter run on, restore: it is back near the checkpoint and runs again.
      const cp = await r.run(['checkpoint', 'mv1', 'cp1'], { timeoutMs: 120_000 });
      assert.equal(cp.code, 0, cp.stderr);
      const atCheckpoint = await counter(r, 'mv1');
      assert.equal((await r.run(['exec', 'mv1', '--', 'sh', '-c', 'touch /after-checkpoint && sync'])).code, 0);
      for (let i = 0; i < 100 && (await counter(r, 'mv1')) < atCheckpoint + 4; i++) await sleep(500);
      const later = await counter(r, 'mv1');
      assert.ok(later >= atCheckpoint + 4, `the counter ran on (${atCheckpoint} -> ${later})`);
      assert.deepEqual((await inspectMachine(r, 'mv1')).machine.checkpoints, ['cp1']);
      const rs = await r.run(['restore', 'mv1', 'cp1'], { timeoutMs: 120_000 });
      assert.equal(rs.code, 0, rs.stderr);
      const restored = await counter(r, 'mv1');
      // Reading the counter takes an exec (about a second under TCG), so it may tick once or twice
      // while read; a restore that did nothing would read at least `later`.
      assert.ok(
        restored <= atCheckpoint + 2 && restored < later,
        `restored to the checkpoint (${restored} <= ${atCheckpoint} + 2, < ${later})`,
      );
      for (let i = 0; i < 100 && (await counter(r, 'mv1')) <= restored; i++) await sleep(500);
      assert.ok((await counter(r, 'mv1')) > restored, 'the counter resumes after restore');
      const disk = await r.run([
        'exec',
        'mv1',
        '--',
        'sh',
        '-c',
        'test ! -e /after-checkpoint && test ! -e /bin/ls && test -e /big',
      ]);
      assert.equal(
        disk.code,
        0,
        "the disk is the checkpoint's: a file written after it is gone, writes before it stay",
      );

      const bad = await r.run(['restore', 'mv1', 'nope']);
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /^berth: no checkpoint named "nope" \(use one of: cp1\)\n$/);

      const st = await r.run(['stop', '-t', '10', 'mv1'], { timeoutMs: 120_000 });
      assert.equal(st.code, 0, st.stderr);
      assert.equal((await inspectMachine(r, 'mv1')).machine.qmp.status, 'not running');
      // Commit of the stopped environment (ADR 0058): one killed half-way stores nothing.
      await checkKilledCommit(r, 'mv1', 'vmcommit/killed:1');
      await checkVmCommit(r, 'mv1', 'vmcommit/microvm:1');
      assert.equal((await r.run(['rm', 'mv1'])).code, 0);
      assert.equal(await sha256(base!), before, 'the base disk is never written');
      await assertNothingLeft(r, 'after rm');
    },
  },
  {
    name: 'microvm: bad input (--accel kvm without KVM, too little --memory, a corrupt kernel, bad -p, an occupied port) is one line, exit 125, nothing left',
    async run(r, b) {
      const cases: [string[], RegExp][] = [
        [
          ['run', '--rm', '--backend', b, '--memory', '32m', '--', 'true'],
          /^berth: --memory 33554432 bytes is too small for a microvm guest kernel \(give at least 96m/,
        ],
        [
          ['run', '--rm', '--backend', b, '--network', 'none', '-p', '8080:80', '--', 'true'],
          /^berth: -p needs a network of the environment's own, and --network is none/,
        ],
        [
          ['run', '--rm', '--backend', b, '--network', 'user', '-p', '99999:80', '--', 'true'],
          /^berth: invalid -p "99999:80"/,
        ],
        [['run', '--rm', '--backend', b, '--accel', 'warp', '--', 'true'], /--accel/],
        [['checkpoint', 'no-such-env', 'x'], /^berth: no such environment/],
      ];
      // A corrupt kernel: QEMU refuses it, berth says QEMU's reason.
      const badKernel = join(mkdtempSync(join(tmpdir(), 'berth-badkernel-')), 'vmlinuz');
      writeFileSync(badKernel, randomBytes(100_000), { mode: 0o644 });
      chmodSync(dirname(badKernel), 0o755);
      cases.push([
        ['run', '--rm', '--backend', b, '--kernel', badKernel, '--', 'true'],
        /^berth: the microvm \(qemu, (tcg|kvm)\) failed to boot: qemu: /,
      ]);
      if (!existsSync('/dev/kvm'))
        cases.push([
          ['run', '--rm', '--backend', b, '--accel', 'kvm', '--', 'true'],
          /^berth: --accel kvm: \/dev\/kvm is absent/,
        ]);
      try {
        for (const [args, re] of cases) {
          const res = await r.run(args, { timeoutMs: 120_000 });
          assert.equal(res.code, 125, `${args.join(' ')}: ${res.stderr}`);
          assert.match(res.stderr, re);
          assert.equal(res.stderr.trim().split('\n').length, 1, `one line: ${res.stderr}`);
          assert.equal(res.stdout, '');
          await assertNothingLeft(r, args.join(' '));
        }
      } finally {
        rmSync(dirname(badKernel), { recursive: true, force: true });
      }
      // A host port something else listens on.
      const occupied = await listen();
      try {
        const port = (occupied.address() as { port: number }).port;
        const res = await r.run([
          'run',
          '--rm',
          '--backend',
          b,
          '--network',
          'user',
          '-p',
          `127.0.0.1:${port}:80`,
          '--',
          'true',
        ]);
        assert.equal(res.code, 125, res.stderr);
        assert.match(res.stderr, /is already in use/);
        await assertNothingLeft(r, 'occupied port');
      } finally {
        occupied.close();
      }
    },
  },
];
