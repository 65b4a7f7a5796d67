/**
 * Checks only the uml backend has: its own kernel, a small COW file over a base that is never
 * written, pause through mconsole, and boot failures (too little memory, no kernel) that
 * leave nothing behind. One booted VM serves the checks that can share it, the bulk channel's and
 * commit's too (uml-bulk-checks.ts, vm-commit-checks.ts).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { release } from 'node:os';
import type { Check } from './checks.js';
import { baseDisks, packageDir, storedEnvs, processesMentioning, type Runner } from '../helpers/berth-cli.js';
import { checkUmlBulkChannel } from './uml-bulk-checks.js';
import { MAKE_CHANGES, checkVmCommit } from './vm-commit-checks.js';
import { assertNativeVmMonitor } from './vm-monitor-checks.js';
import { assertFewInitFaultsPerExec } from './guest-init-faults.js';

/** `uname -r` of the uml manifest's kernel, from its cache record (written when it was resolved). */
function manifestRelease(r: Runner): string {
  const dir = join(r.root, 'kernels', 'uml');
  const [version] = readdirSync(dir).filter((v) => existsSync(join(dir, v, 'kernel.json')));
  assert.ok(version, 'the uml kernel is recorded in the cache');
  return (JSON.parse(readFileSync(join(dir, version!, 'kernel.json'), 'utf8')) as { release: string }).release;
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The uml driver bundle's code cache for this Node in the package under test (ADR 0083): its name
 * is the bundle's hash (scripts/bundle.mjs), so a cache of another build never counts.
 */
function umlDriverCache(): string {
  const dist = join(packageDir(), 'dist');
  const hash = createHash('sha256')
    .update(readFileSync(join(dist, 'uml-driver.cjs')))
    .digest('hex')
    .slice(0, 16);
  return join(dist, `uml-driver.${hash}.${process.versions.v8}.cache`);
}

/** Allocated bytes on the host (the files are sparse). */
const allocated = (path: string) => statSync(path).blocks * 512;

async function assertNothingLeft(r: Runner, what = ''): Promise<void> {
  const envs = storedEnvs(r.root);
  assert.deepEqual(
    envs,
    [],
    `${what}: no environment dir (and so no COW file) may remain: ${envs.map((e) => readdirSync(join(r.root, 'envs', e)).join(' '))}`,
  );
  assert.deepEqual(processesMentioning(join(r.root, 'envs')), [], 'no kernel or monitor process may remain');
  const vm = join(r.root, 'run', 'vm');
  assert.deepEqual(existsSync(vm) ? readdirSync(vm) : [], [], 'no runtime dir (sockets) may remain');
}

export const UML_CHECKS: Check[] = [
  {
    name: 'uml: its own kernel, the native monitor, a module of its package loads inside, concurrent exec sessions, a small COW file, an unchanged base, pause and unpause, commit while running',
    async run(r, b) {
      const d = await r.run(['run', '-d', '--backend', b, '--name', 'vm1', '--', 'sleep', '1000']);
      assert.equal(d.code, 0, d.stderr);
      const id = d.stdout.trim();
      assertNativeVmMonitor(r, id);
      const cow = join(r.root, 'envs', id, 'uml', 'disk.cow');
      const [base] = baseDisks(r);
      assert.ok(base, 'a base disk was built');
      const fresh = allocated(cow);
      assert.ok(fresh < 4 * 1024 * 1024, `a fresh COW file is small (${fresh} bytes allocated)`);
      const before = await sha256(base!);

      const uname = await r.run(['exec', 'vm1', '--', 'uname', '-r']);
      assert.equal(uname.code, 0, uname.stderr);
      // root can write beside the package's bundles: the first uml command wrote the driver's code
      // cache, and a later one accepted it (a refused cache is replaced, a new inode). The test
      // user cannot write there, and its commands compile the driver each time, as before.
      const cache = umlDriverCache();
      if (r.mode === 'root') {
        assert.ok(existsSync(cache), `the uml driver's code cache was written: ${cache}`);
        const ino = statSync(cache).ino;
        assert.equal((await r.run(['exec', 'vm1', '--', 'true'])).code, 0);
        assert.equal(statSync(cache).ino, ino, "the uml driver's code cache was accepted");
      }
      assert.notEqual(uname.stdout.trim(), release(), 'the guest kernel is not the host kernel');
      assert.equal(uname.stdout.trim(), manifestRelease(r), "the guest runs the uml manifest's kernel");
      await assertFewInitFaultsPerExec(r, 'vm1');
      // The package's modules are shared read-only at /lib/modules/RELEASE: modprobe works inside.
      const mod = await r.run([
        'exec',
        'vm1',
        '--',
        'sh',
        '-c',
        'grep -c "^dummy " /proc/modules; modprobe dummy && grep -c "^dummy " /proc/modules && ip link show dummy0 >/dev/null && echo loaded',
      ]);
      assert.equal(mod.stdout, '0\n1\nloaded\n', mod.stderr);

      // Sessions run side by side, each with its own output and status; a signal death is 128+N.
      const [slow, fast, killed] = await Promise.all([
        r.run(['exec', 'vm1', '--', 'sh', '-c', 'sleep 1; echo slow; echo slow-err >&2; exit 3']),
        r.run(['exec', 'vm1', '--', 'sh', '-c', 'echo fast']),
        r.run(['exec', 'vm1', '--', 'sh', '-c', 'kill -9 $$']),
      ]);
      assert.deepEqual([slow.code, slow.stdout, slow.stderr], [3, 'slow\n', 'slow-err\n']);
      assert.deepEqual([fast.code, fast.stdout], [0, 'fast\n']);
      assert.equal(killed.code, 137);

      const w = await r.run(['exec', 'vm1', '--', 'sh', '-c', `${MAKE_CHANGES} && sync && echo written`]);
      assert.equal(w.stdout, 'written\n', w.stderr);
      assert.ok(allocated(cow) > fresh + 4 * 1024 * 1024 - 65536, 'the writes landed in the COW file');
      assert.equal(await sha256(base!), before, 'the base disk is never written');

      assert.equal((await r.run(['pause', 'vm1'])).code, 0);
      const ps = JSON.parse((await r.run(['ps', '--format', 'json'])).stdout) as {
        name: string;
        status: { state: string };
      }[];
      assert.equal(ps.find((e) => e.name === 'vm1')?.status.state, 'paused');
      assert.equal((await r.run(['unpause', 'vm1'])).code, 0);
      const after = await r.run(['exec', 'vm1', '--', 'sh', '-c', 'test ! -e /bin/ls && echo alive']);
      assert.equal(after.stdout, 'alive\n', after.stderr);
      await checkUmlBulkChannel(r, 'vm1', id);
      // Commit while it runs: synced, paused while its disk is copied, running again after.
      await checkVmCommit(r, 'vm1', 'vmcommit/uml:1', { badInput: true });
      const running = await r.run(['exec', 'vm1', '--', 'true']);
      assert.equal(running.code, 0, `the committed environment runs on: ${running.stderr}`);

      assert.equal((await r.run(['rm', '-f', 'vm1'])).code, 0);
      assert.equal(existsSync(cow), false);
      await assertNothingLeft(r);
      const again = await r.run(['run', '--rm', '--backend', b, '--', 'sh', '-c', 'test -e /bin/ls && test ! -e /big']);
      assert.equal(again.code, 0, `a new environment sees the image, not the old writes: ${again.stderr}`);
    },
  },
  {
    name: 'uml: too little memory to boot, a missing kernel, -p with --network none, a UDP -p: one line, exit 125, nothing left',
    async run(r, b) {
      const cases: [string[], Record<string, string>, RegExp][] = [
        // 20m-36m panicked at random while booting; the floor (48m, uml-capabilities.ts) refuses them first.
        [['run', '--backend', b, '--memory', '36m', '--', 'true'], {}, /too small for a uml kernel.*at least 48m/],
        [['run', '-d', '--backend', b, '--memory', '20m', '--', 'true'], {}, /too small for a uml kernel/],
        [['run', '--backend', b, '--memory', '8m', '--', 'true'], {}, /too small for a uml kernel/],
        [
          ['run', '--backend', b, '--', 'true'],
          { BERTH_UML_KERNEL: '/nonexistent/linux.uml' },
          /kernel \/nonexistent\/linux\.uml is missing/,
        ],
        [
          ['run', '--backend', b, '--network', 'none', '-p', '8080:80', '--', 'true'],
          {},
          /^berth: -p needs a network of the environment's own, and --network is none/,
        ],
        [
          ['run', '--backend', b, '--network', 'user', '-p', '8080:80/udp', '--', 'true'],
          {},
          /^berth: the uml backend publishes TCP ports only/,
        ],
      ];
      for (const [args, env, re] of cases) {
        const res = await r.run(args, { env });
        assert.equal(res.code, 125, `${args.join(' ')}: ${res.stderr}`);
        assert.match(res.stderr, re);
        assert.equal(res.stderr.trim().split('\n').length, 1, `one line: ${res.stderr}`);
        assert.equal(res.stdout, '');
        await assertNothingLeft(r, args.join(' '));
      }
    },
  },
];
