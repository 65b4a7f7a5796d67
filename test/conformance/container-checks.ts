/** Checks only the container backend must pass (on top of the shared conformance checks). */
import assert from 'node:assert/strict';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import type { Check } from './checks.js';
import { REPO } from '../helpers/berth-cli.js';

let probeDir: string | undefined;
/** A static binary that tries keyctl/add_key/bpf (busybox has no keyctl applet). */
function syscallProbe(): string {
  if (probeDir) return probeDir;
  const dir = mkdtempSync(join(tmpdir(), 'berth-probe-'));
  const res = spawnSync(
    'gcc',
    ['-static', '-O2', '-o', join(dir, 'syscall-probe'), join(REPO, 'test', 'fixtures', 'syscall-probe.c')],
    { encoding: 'utf8' },
  );
  if (res.status !== 0) throw new Error(`cannot build the syscall probe: ${res.stderr}`);
  chmodSync(dir, 0o755);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return (probeDir = dir);
}

export const CONTAINER_CHECKS: Check[] = [
  {
    name: 'container: own processes, PID 1 is berth init, own hostname, only lo',
    async run(r, b) {
      const res = await r.run([
        'run',
        '--rm',
        '--backend',
        b,
        '--hostname',
        'ctr1',
        '--',
        'sh',
        '-c',
        'echo "me=$$"; ps -o pid | tail -n +2 | sort -n | tail -n 1; hostname; ls /sys/class/net; ip link | grep -c "^[0-9]"',
      ]);
      assert.equal(res.code, 0, res.stderr);
      const [me, maxPid, host, nets, links] = res.stdout.trim().split('\n');
      assert.equal(me, 'me=2', 'the command is PID 2, under berth init');
      assert.ok(Number(maxPid) < 20, `only the container's own few processes: ${res.stdout}`);
      assert.equal(host, 'ctr1');
      assert.equal(nets, 'lo');
      assert.equal(links, '1');
    },
  },
  {
    // A new netns starts at "1 0": nobody may open ICMP echo sockets. Docker widens it to all groups.
    name: 'container: its own network namespace lets groups open ICMP echo sockets (ping_group_range)',
    async run(r, b) {
      const res = await r.run(['run', '--rm', '--backend', b, '--', 'cat', '/proc/sys/net/ipv4/ping_group_range']);
      assert.equal(res.code, 0, res.stderr);
      const [low, high] = res.stdout.trim().split(/\s+/).map(Number);
      assert.equal(low, 0, res.stdout);
      assert.ok(high! >= 65535, `groups 0..65535 at least may ping: ${res.stdout}`);
    },
  },
  {
    name: 'container: reduced capabilities, no_new_privs, masked /proc, refused syscalls',
    async run(r, b) {
      const res = await r.run([
        'run',
        '--rm',
        '--backend',
        b,
        '--',
        'sh',
        '-c',
        'grep -E "^(CapEff|NoNewPrivs)" /proc/1/status; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; ' +
          'if head -c 1 /proc/kcore >/dev/null 2>&1; then echo kcore-readable; fi; ' +
          'if mount -t tmpfs x /mnt 2>/dev/null; then echo mount-ok; fi; ' +
          'if unshare -U true 2>/dev/null; then echo userns-ok; fi; ' +
          'if echo 1 > /proc/sys/kernel/panic 2>/dev/null; then echo procsys-writable; fi; echo done',
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /CapEff:\s+00000000800405fb/);
      assert.match(res.stdout, /NoNewPrivs:\s+1/);
      assert.doesNotMatch(res.stdout, /kcore-readable|mount-ok|userns-ok|procsys-writable/);
      assert.match(res.stdout, /done\n$/);
      const unconfined = await r.run([
        'run',
        '--rm',
        '--backend',
        b,
        '--cap-add',
        'SYS_ADMIN',
        '--security-opt',
        'seccomp=unconfined',
        '--',
        'sh',
        '-c',
        'mount -t tmpfs x /mnt && echo mounted',
      ]);
      assert.equal(unconfined.stdout, 'mounted\n', unconfined.stderr);
      const bad = await r.run(['run', '--rm', '--backend', b, '--cap-add', 'FLY', '--', 'true']);
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /unknown capability "FLY"/);
    },
  },
  {
    name: 'container: keyctl, add_key and bpf are refused by the default seccomp filter',
    async run(r, b) {
      const dir = syscallProbe();
      const script = 'for s in keyctl add_key bpf; do echo "$s $(/probe/syscall-probe $s)"; done';
      const res = await r.run(['run', '--rm', '--backend', b, '-v', `${dir}:/probe:ro`, '--', 'sh', '-c', script]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'keyctl refused\nadd_key refused\nbpf refused\n');
      const open = await r.run([
        'run',
        '--rm',
        '--backend',
        b,
        '--security-opt',
        'seccomp=unconfined',
        '-v',
        `${dir}:/probe:ro`,
        '--',
        '/probe/syscall-probe',
        'keyctl',
      ]);
      assert.equal(open.stdout, 'allowed\n', `without the filter keyctl is not refused: ${open.stderr}`);
    },
  },
  {
    name: 'container: memory and pids limits are enforced, or refused clearly where they cannot be',
    async run(r, b) {
      if (r.mode === 'rootless') {
        // This host's controllers are cgroup v1, which only root can write: refuse, never ignore.
        const res = await r.run(['run', '--rm', '--backend', b, '--memory', '32m', '--', 'true']);
        if (res.code === 0) return; // a host that delegates cgroup v2 to users enforces it
        assert.equal(res.code, 125);
        assert.match(res.stderr, /cannot enforce --memory here/);
        assert.match(res.stderr, /--ignore-unenforced/);
        const anyway = await r.run([
          'run',
          '--rm',
          '--backend',
          b,
          '--memory',
          '32m',
          '--ignore-unenforced',
          '--',
          'true',
        ]);
        assert.equal(anyway.code, 0, anyway.stderr);
        return;
      }
      const oom = await r.run([
        'run',
        '--rm',
        '--backend',
        b,
        '--memory',
        '32m',
        '--',
        'sh',
        '-c',
        'head -c 200m /dev/zero | tail',
      ]);
      assert.equal(oom.code, 137, oom.stdout + oom.stderr);
      assert.match(oom.stderr, /OOM killed/);
      const bomb = await r.run(
        [
          'run',
          '--rm',
          '--backend',
          b,
          '--pids-limit',
          '64',
          '--',
          'sh',
          '-c',
          // Fork until refused (in a subshell, whose failure we ignore), then count without forking.
          '( i=0; while [ $i -lt 200 ]; do sleep 5 & i=$((i+1)); done ) 2>/dev/null; set -- /proc/[0-9]*; echo $#',
        ],
        { timeoutMs: 60_000 },
      );
      assert.equal(bomb.code, 0, bomb.stderr);
      assert.ok(Number(bomb.stdout.trim()) <= 64, `processes capped at 64: ${bomb.stdout}`);
    },
  },
  {
    name: 'container: pause and unpause, stats and top',
    async run(r, b) {
      const d = await r.run([
        'run',
        '-d',
        '--backend',
        b,
        '--name',
        'ticker',
        '--',
        'sh',
        '-c',
        'while true; do echo tick; sleep 0.1; done',
      ]);
      assert.equal(d.code, 0, d.stderr);
      const top = await r.run(['top', 'ticker']);
      assert.equal(top.code, 0, top.stderr);
      assert.match(top.stdout, /while true/);
      if (r.mode === 'rootless') {
        // No writable cgroup here as a normal user: pause and stats say so instead of pretending.
        const p = await r.run(['pause', 'ticker']);
        if (p.code !== 0) {
          assert.equal(p.code, 125);
          assert.match(p.stderr, /pause is not available|no cgroup to freeze/);
        }
      } else {
        assert.equal((await r.run(['pause', 'ticker'])).code, 0);
        const ps = await r.run(['ps', '--format', 'json']);
        assert.equal(JSON.parse(ps.stdout)[0].status.state, 'paused');
        const count = async () => (await r.run(['logs', 'ticker'])).stdout.split('\n').length;
        const before = await count();
        await new Promise((res) => setTimeout(res, 600));
        assert.equal(await count(), before, 'no output while frozen');
        assert.equal((await r.run(['unpause', 'ticker'])).code, 0);
        await new Promise((res) => setTimeout(res, 600));
        assert.ok((await count()) > before, 'output resumes');
        const st = await r.run(['stats', '--format', 'json', 'ticker']);
        assert.equal(st.code, 0, st.stderr);
        const s = JSON.parse(st.stdout)[0];
        assert.ok(s.pids >= 2 && s.memoryBytes > 0 && s.cpuUsageNs > 0, st.stdout);
        assert.equal((await r.run(['pause', 'ticker'])).code, 0);
      }
      // rm -f works on a paused environment too.
      assert.equal((await r.run(['rm', '-f', 'ticker'])).code, 0);
    },
  },
];
