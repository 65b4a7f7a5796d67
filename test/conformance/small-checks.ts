/**
 * Issue 20.10's smaller items that concern every backend: a command that cannot start is one line
 * with a fix and Docker's exit code; --cpus above the host's CPUs is refused by name where --cpus is
 * honoured; a VM command takes thousands of arguments; `-p 80` and `-p 0:80` publish on a free host
 * port (the VMs' in vm-network-checks.ts, in a boot they make anyway); `images` lists busybox; a
 * SIGTERM'd command is recorded alike (chroot here; the others in lifecycle-checks.ts).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../helpers/berth-cli.js';
import { type Check, assertNothingLeft, isVm, sleep } from './checks.js';
import { assertEndedBySigterm } from './lifecycle-checks.js';

/**
 * The host ports picked for NAME's GUESTS/tcp published without a host port (`-p GUEST`, all
 * addresses), after checking that `berth port`, `ps` and `inspect` all show those same ports.
 */
export async function pickedHostPorts(r: Runner, name: string, guests: number[]): Promise<number[]> {
  const port = await r.run(['port', name]);
  assert.equal(port.code, 0, port.stderr);
  const ps = await r.run(['ps']);
  const [inspected] = JSON.parse((await r.run(['inspect', name])).stdout) as {
    NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> };
  }[];
  return guests.map((guest) => {
    const m = new RegExp(`^${guest}/tcp -> 0\\.0\\.0\\.0:(\\d+)$`, 'm').exec(port.stdout);
    assert.ok(m, `port ${name}: ${port.stdout}`);
    const picked = Number(m[1]);
    assert.ok(picked > 0 && picked <= 65535, port.stdout);
    assert.match(ps.stdout, new RegExp(` ${name} .*0\\.0\\.0\\.0:${picked}->${guest}/tcp`), ps.stdout);
    const bindings = inspected!.NetworkSettings.Ports[`${guest}/tcp`] ?? [];
    assert.ok(
      bindings.some((b) => b.HostIp === '0.0.0.0' && b.HostPort === String(picked)),
      JSON.stringify(inspected!.NetworkSettings),
    );
    return picked;
  });
}

/** GET http://127.0.0.1:PORT/PATH, retried while the server inside starts (bounded). */
async function fetchText(port: number, path: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const body = await fetch(`http://127.0.0.1:${port}${path}`).then(
      (x) => x.text(),
      () => '',
    );
    if (body !== '') return body;
    await sleep(200);
  }
  return '';
}

export const SMALL_CHECKS: Check[] = [
  {
    name: 'a detached command that cannot start (start-failed): exit 127 and one line with a fix',
    async run(r, b) {
      const res = await r.run(['run', '-d', '--backend', b, '--', '/no/such/command'], { timeoutMs: 300_000 });
      assert.equal(res.code, 127, res.stderr);
      const lines = res.stderr.trim().split('\n');
      assert.equal(lines.length, 1, res.stderr);
      assert.match(lines[0]!, /^berth: .*\/no\/such\/command.*\(check the command is in the image/);
      await assertNothingLeft(r);
    },
  },
  {
    name: '--cpus above the host CPU count: one line, exit 125, nothing left',
    async run(r, b) {
      const cpus = availableParallelism() + 1;
      const res = await r.run(['run', '--rm', '--backend', b, '--cpus', String(cpus), '--', 'true']);
      assert.equal(res.code, 125, res.stderr);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
      // uml and chroot do not honour --cpus at all: they say so instead.
      // A rootless container may have no cpu controller to write (cgroup v1): it says that first.
      const honoured = b === 'microvm' || (b === 'container' && r.mode === 'root');
      const tooMany = new RegExp(`--cpus ${cpus} is more than the ${cpus - 1} CPU`);
      if (honoured) assert.match(res.stderr, tooMany);
      else if (b === 'container') assert.match(res.stderr, new RegExp(`${tooMany.source}|cannot enforce --cpus`));
      else assert.match(res.stderr, /cannot enforce --cpus/);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'VM: a command with 10000 arguments runs',
    appliesTo: isVm,
    async run(r, b) {
      const many = Array.from({ length: 10_000 }, (_, i) => String(i));
      const res = await r.run(['run', '--rm', '--backend', b, '--', 'sh', '-c', 'echo $# ${10000}', 'sh', ...many], {
        timeoutMs: 300_000,
      });
      assert.equal(res.stdout, '10000 9999\n', res.stderr);
    },
  },
  {
    name: '-v ./dir:/x resolves the relative host path against the current directory',
    // microvm cannot share host directories yet (it refuses -v by name).
    appliesTo: (b) => b !== 'microvm',
    async run(r, b) {
      const cwd = mkdtempSync(join(tmpdir(), 'berth-relvol-'));
      try {
        mkdirSync(join(cwd, 'dir'));
        writeFileSync(join(cwd, 'dir', 'f'), 'relative\n');
        chmodSync(cwd, 0o755);
        const res = await r.run(['run', '--rm', '--backend', b, '-v', './dir:/x:ro', '--', 'cat', '/x/f'], {
          cwd,
          timeoutMs: 300_000,
        });
        assert.equal(res.stdout, 'relative\n', res.stderr);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    },
  },
  {
    name: '-p 80 and -p 0:80 publish on free host ports, shown by port, ps and inspect, and reached there',
    // The VMs' is part of their --network user check (vm-network-checks.ts), in a boot it makes anyway.
    appliesTo: (b) => !isVm(b),
    async run(r, b) {
      const d = await r.run([
        'run',
        '-d',
        '--backend',
        b,
        '--name',
        'pub',
        '--network',
        'user',
        '-p',
        '80',
        '-p',
        '0:81',
        '--',
        'sh',
        '-c',
        'echo served > /tmp/i; httpd -p 81 -h /tmp; exec httpd -f -p 80 -h /tmp',
      ]);
      assert.equal(d.code, 0, d.stderr);
      const [p80, p81] = await pickedHostPorts(r, 'pub', [80, 81]);
      assert.notEqual(p80, p81);
      assert.equal(await fetchText(p80!, '/i'), 'served\n');
      assert.equal(await fetchText(p81!, '/i'), 'served\n');
      assert.equal((await r.run(['rm', '-f', 'pub'])).code, 0);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'images lists the builtin busybox first, as it runs by name',
    // Not a backend matter: once, on the cheapest backend, as root and as a normal user.
    appliesTo: (b) => b === 'chroot',
    async run(r, b) {
      const run = await r.run(['run', '--rm', '--backend', b, 'busybox', 'true']);
      assert.equal(run.code, 0, run.stderr);
      const list = JSON.parse((await r.run(['images', '--format', 'json'])).stdout) as {
        ref: string;
        digest: string;
        builtin?: boolean;
      }[];
      assert.equal(list[0]?.ref, 'busybox');
      assert.equal(list[0]?.builtin, true);
      assert.match(list[0]?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
      const table = await r.run(['images']);
      assert.match(table.stdout.split('\n')[1] ?? '', /^busybox\s+sha256:[0-9a-f]{12}\s+\S/, table.stdout);
    },
  },
  {
    name: "a command ended by kill -s TERM: wait 143, ps 'Exited (143)', the exit record names SIGTERM",
    // container, uml and microvm: in the paused-environment check of lifecycle-checks.ts.
    appliesTo: (b) => b === 'chroot',
    async run(r, b) {
      const d = await r.run(['run', '-d', '--backend', b, '--name', 'termed', '--', 'sleep', '1000']);
      assert.equal(d.code, 0, d.stderr);
      assert.equal((await r.run(['kill', '-s', 'TERM', 'termed'])).code, 0);
      await assertEndedBySigterm(r, 'termed');
      assert.equal((await r.run(['rm', 'termed'])).code, 0);
      await assertNothingLeft(r);
    },
  },
];
