/**
 * Network throughput host -> environment, per network mode, side by side with Podman in the same
 * run. Everything happens inside a network namespace the suite makes (the bridge, veths, nftables
 * tables and pasta/slirp4netns listeners exist only there). The server is the same in every row:
 * busybox `nc -l -e` reading into /dev/null and answering "ok" at EOF, on the same busybox rootfs; the client is a Node script in
 * that namespace that streams BENCH_NET_MIB MiB (default 1024; BENCH_NET_VM_MIB, default 128, to a
 * VM, whose emulated NIC is far slower) and waits until the server closed.
 * Each row: the median of BENCH_NET_REPS transfers (default 5), rows interleaved round-robin. Not a timing table: figures only.
 */
import { spawnSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Suite, runOnce } from '../harness.js';
import { berthArgv, findExecutable, isRoot } from './common.js';
import {
  HostTraces,
  PODMAN_IMAGE,
  type Podman,
  berthEnvs,
  berthRemoveAll,
  mountsUnder,
  setupPodman,
} from './container-startup.js';

const PORT = 5001;
// The server answers "ok" once it has read everything: the client's clock stops end to end,
// not when a forwarder (pasta, slirp4netns, DNAT) has merely buffered the data.
const SERVER = `while true; do nc -l -p ${PORT} -e sh -c 'cat > /dev/null; echo ok'; done`;

/** Streams MiB to host:port (retrying until the server is up), prints MB/s. */
const CLIENT = `
const net = require('node:net');
const [host, port, mib] = process.argv.slice(1);
const chunk = Buffer.alloc(1 << 20, 7);
function once() {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const s = net.connect(Number(port), host);
    let sent = 0, failed = false;
    s.on('error', (e) => { failed = true; reject(e); });
    let reply = '';
    s.on('data', (d) => { reply += d; if (reply.includes('ok')) { resolve(Number(process.hrtime.bigint() - t0) / 1e9); s.destroy(); } });
    s.on('close', () => { if (!reply.includes('ok')) { failed = true; reject(new Error('closed early')); } });
    s.on('connect', () => {
      const pump = () => { while (sent < Number(mib)) { sent++; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
      pump();
    });
  });
}
(async () => {
  for (let i = 0; i < 200; i++) {
    try { const sec = await once(); process.stdout.write(String(Number(mib) * 1.048576 / sec)); return; }
    catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  process.exit(1);
})();
`;

interface RowResult {
  name: string;
  mbps?: number;
  unavailable?: string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const networkThroughput: Suite = {
  name: 'network-throughput',
  description:
    'TCP throughput host -> environment per network mode (busybox nc server, Node client), berth and podman in one run, inside a network namespace the suite makes',
  async prepare({ repo }) {
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'berth', unavailable: berth };
    if (!isRoot())
      return { name: 'network-throughput', unavailable: 'needs root (it makes a network namespace and bridges)' };
    for (const t of ['ip', 'nft', 'pasta', 'slirp4netns', 'busybox'])
      if (!findExecutable(t)) return { name: 'network-throughput', unavailable: `${t} not installed` };
    const mib = Number(process.env.BENCH_NET_MIB ?? 1024);
    const reps = Number(process.env.BENCH_NET_REPS ?? 5);
    const vmMib = Number(process.env.BENCH_NET_VM_MIB ?? 128);
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-net-'));
    chmodSync(tmp, 0o755);
    const traces = new HostTraces();
    const root = join(tmp, 'berth-root');
    mkdirSync(root);
    const ns = `berth-bench-${randomBytes(3).toString('hex')}`;
    // nsenter, not `ip netns exec`: that one remounts /sys and hides the cgroup mounts runc needs.
    const inNs = (argv: string[]) => ['nsenter', `--net=/run/netns/${ns}`, ...argv];
    const sh = (argv: string[]) => {
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 300_000 });
      if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const env = { ...process.env, BERTH_ROOT: root };
    let podman: Podman | string = 'not set up';
    const podmanIds: string[] = [];
    const hostServers: ReturnType<typeof spawn>[] = [];
    const results: RowResult[] = [];

    const once = (host: string, port: number, size = mib): number =>
      Number(sh(inNs([process.execPath, '-e', CLIENT, host, String(port), String(size)])));
    /** Rows set up so far: measured together, round-robin, once everything runs. */
    const targets: { name: string; host: string; port: number; size: number }[] = [];
    const measure = (host: string, port: number, name = '', size = mib): number => {
      once(host, port, size); // checks it answers (and warms up)
      targets.push({ name, host, port, size });
      return 0;
    };
    const berthRun = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
      sh(
        inNs([
          'env',
          ...Object.entries({ BERTH_ROOT: root, ...extraEnv }).map(([k, v]) => `${k}=${v}`),
          ...berth,
          ...args,
        ]),
      ).trim();
    const row = (name: string, fn: (name: string) => number) => {
      try {
        fn(name);
        results.push({ name, mbps: 0 });
      } catch (e) {
        const lines = (e instanceof Error ? e.message : String(e)).trim().split('\n');
        const last = lines[lines.length - 1]!;
        results.push({
          name,
          unavailable: (last.includes('Error: ') ? last.slice(last.lastIndexOf('Error: ')) : last).replace(/\|/g, '/'),
        });
      }
    };

    let userCleanup = (): string[] => [];
    const teardown = (): string[] => {
      const left: string[] = [...userCleanup()];
      for (const s of hostServers) s.kill('SIGKILL');
      const ids = berthEnvs(root);
      if (ids.length)
        spawnSync('nsenter', [`--net=/run/netns/${ns}`, ...berth, 'rm', '-f', ...ids], { env, timeout: 300_000 });
      berthRemoveAll(berth, root);
      if (berthEnvs(root).length) left.push(`${berthEnvs(root).length} berth environments`);
      if (typeof podman !== 'string') {
        spawnSync('nsenter', [`--net=/run/netns/${ns}`, ...podman.argv, 'rm', '-f', '-t', '0', ...podmanIds], {
          timeout: 300_000,
        });
        try {
          podman.remove();
        } catch (e) {
          left.push(e instanceof Error ? e.message : String(e));
        }
      }
      spawnSync('ip', ['netns', 'del', ns]);
      for (const m of mountsUnder(tmp)) spawnSync('umount', ['-l', m]);
      left.push(...mountsUnder(tmp).map((m) => `mount ${m}`));
      left.push(...traces.undo());
      rmSync(tmp, { recursive: true, force: true });
      return left;
    };

    try {
      sh(['ip', 'netns', 'add', ns]);
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      // A routable interface to nowhere (pasta copies the host's addresses and routes).
      sh(['ip', '-n', ns, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1']);
      sh(['ip', '-n', ns, 'addr', 'add', '10.201.0.2/24', 'dev', 'up0']);
      sh(['ip', '-n', ns, 'link', 'set', 'up0', 'up']);
      sh(['ip', '-n', ns, 'link', 'set', 'up1', 'up']);
      sh(['ip', '-n', ns, 'route', 'add', 'default', 'via', '10.201.0.1', 'dev', 'up0']);

      // Baseline: the same busybox server on the namespace's own loopback.
      hostServers.push(
        spawn('nsenter', [`--net=/run/netns/${ns}`, 'busybox', 'sh', '-c', SERVER.replace(String(PORT), '5000')], {
          stdio: 'ignore',
        }),
      );
      row('host loopback (busybox nc in the namespace)', (n) => measure('127.0.0.1', 5000, n));

      runOnce(
        { name: 'image', argv: [...berth, 'run', '--rm', '-q', '--backend', 'container', 'busybox', 'true'], env },
        300_000,
      );
      berthRun([
        'run',
        '-d',
        '-q',
        '--name',
        'nbr',
        '--backend',
        'container',
        '--network',
        'bridge',
        '-p',
        `127.0.0.1:5011:${PORT}`,
        'busybox',
        'sh',
        '-c',
        SERVER,
      ]);
      const ip = JSON.parse(berthRun(['inspect', 'nbr']))[0].Network.IPAddress as string;
      row("berth --network bridge, to the environment's address", (n) => measure(ip, PORT, n));
      row('berth --network bridge -p (DNAT from 127.0.0.1)', (n) => measure('127.0.0.1', 5011, n));
      berthRun(
        [
          'run',
          '-d',
          '-q',
          '--name',
          'npasta',
          '--backend',
          'container',
          '--network',
          'user',
          '-p',
          `127.0.0.1:5012:${PORT}`,
          'busybox',
          'sh',
          '-c',
          SERVER,
        ],
        { BERTH_USER_NET: 'pasta' },
      );
      row('berth --network user (pasta) -p, root', (n) => measure('127.0.0.1', 5012, n));
      berthRun(
        [
          'run',
          '-d',
          '-q',
          '--name',
          'nslirp',
          '--backend',
          'container',
          '--network',
          'user',
          '-p',
          `127.0.0.1:5013:${PORT}`,
          'busybox',
          'sh',
          '-c',
          SERVER,
        ],
        { BERTH_USER_NET: 'slirp4netns' },
      );
      row('berth --network user (slirp4netns) -p, root', (n) => measure('127.0.0.1', 5013, n));

      // Rootless: the same pasta path with the namespace owned by a normal user (BENCH_NET_USER,
      // default berth-test, the tests' user), its own store.
      const user = process.env.BENCH_NET_USER ?? 'berth-test';
      row(`berth --network user (pasta) -p, rootless (${user})`, (n) => {
        const userRoot = join(tmp, 'user-root');
        mkdirSync(userRoot);
        sh(['chown', user, userRoot]);
        sh(
          inNs([
            'runuser',
            '-u',
            user,
            '--',
            'env',
            `BERTH_ROOT=${userRoot}`,
            `PATH=${process.env.PATH}`,
            ...berth,
            'run',
            '-d',
            '-q',
            '--backend',
            'container',
            '--network',
            'user',
            '-p',
            `127.0.0.1:5017:${PORT}`,
            'busybox',
            'sh',
            '-c',
            SERVER,
          ]),
        );
        userCleanup = () => {
          const ids = berthEnvs(userRoot);
          if (ids.length)
            spawnSync(
              'nsenter',
              [
                `--net=/run/netns/${ns}`,
                'runuser',
                '-u',
                user,
                '--',
                'env',
                `BERTH_ROOT=${userRoot}`,
                ...berth,
                'rm',
                '-f',
                ...ids,
              ],
              { timeout: 300_000 },
            );
          return berthEnvs(userRoot).length ? [`${berthEnvs(userRoot).length} rootless berth environments`] : [];
        };
        return measure('127.0.0.1', 5017, n);
      });

      // The VM backends, root: a tap on the same kind of bridge, and their own user-mode stacks with -p.
      for (const k of ['uml', 'microvm'])
        runOnce({ name: `${k} kernel`, argv: [...berth, 'kernels', '--fetch', k], env }, 900_000);
      for (const [backend, bport, uport] of [
        ['uml', 5021, 5022],
        ['microvm', 5023, 5024],
      ] as const) {
        row(`berth ${backend} --network bridge, to the guest's address`, (n) => {
          berthRun([
            'run',
            '-d',
            '-q',
            '--name',
            `v${backend}`,
            '--backend',
            backend,
            '--network',
            'bridge',
            '-p',
            `127.0.0.1:${bport}:${PORT}`,
            'busybox',
            'sh',
            '-c',
            SERVER,
          ]);
          const vip = JSON.parse(berthRun(['inspect', `v${backend}`]))[0].Network.IPAddress as string;
          return measure(vip, PORT, n, vmMib);
        });
        row(`berth ${backend} --network bridge -p (DNAT from 127.0.0.1)`, (n) => measure('127.0.0.1', bport, n, vmMib));
        row(
          `berth ${backend} --network user -p (${backend === 'uml' ? 'slirp; -p through the monitor' : 'QEMU user networking, hostfwd'})`,
          (n) => {
            berthRun([
              'run',
              '-d',
              '-q',
              '--name',
              `u${backend}`,
              '--backend',
              backend,
              '--network',
              'user',
              '-p',
              `127.0.0.1:${uport}:${PORT}`,
              'busybox',
              'sh',
              '-c',
              SERVER,
            ]);
            // uml's -p rides exec sessions through the monitor, their bytes in the bulk channel (ADR 0053).
            return measure('127.0.0.1', uport, n, vmMib);
          },
        );
      }

      const rootfs = join(root, 'images', 'builtin', 'busybox', 'current', 'rootfs');
      podman = existsSync(join(rootfs, 'bin')) ? setupPodman(tmp, rootfs) : 'no busybox rootfs';
      for (const [mode, port] of [
        ['bridge', 5016],
        ['pasta', 5014],
        ['slirp4netns', 5015],
      ] as const) {
        const name =
          mode === 'bridge'
            ? "podman run --network bridge, to the container's address, root"
            : `podman run --network ${mode} -p, root`;
        if (typeof podman === 'string') {
          results.push({ name, unavailable: podman });
          continue;
        }
        const p = podman;
        row(name, (n) => {
          const publish = mode === 'bridge' ? [] : ['-p', `127.0.0.1:${port}:${PORT}`];
          const id = sh(
            inNs([
              ...p.argv,
              'run',
              '-d',
              '--network',
              mode,
              ...publish,
              '--runtime',
              'runc',
              ...p.runFlags,
              PODMAN_IMAGE,
              'sh',
              '-c',
              SERVER,
            ]),
          ).trim();
          podmanIds.push(id);
          if (mode !== 'bridge') return measure('127.0.0.1', port, n);
          const addr = sh(inNs([...p.argv, 'inspect', '-f', '{{.NetworkSettings.IPAddress}}', id])).trim();
          return measure(addr, PORT, n);
        });
      }
      const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
      for (let i = 0; i < reps; i++) for (const t of targets) samples.get(t.name)!.push(once(t.host, t.port, t.size));
      for (const r of results) if (r.mbps !== undefined) r.mbps = median(samples.get(r.name)!);
      const rssNote = `- ${mib} MiB per transfer (${vmMib} MiB to a VM, uml's -p included: it rides the bulk channel, ADR 0053), median of ${reps}, rows interleaved round-robin; MB/s = 10^6 bytes per second; the client and the servers share the machine's ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores`;
      const base = results[0]?.mbps;
      const notes = () =>
        [
          '| mode | MB/s | × host loopback |',
          '|---|---:|---:|',
          ...results.map((r) =>
            r.mbps === undefined
              ? `| ${r.name} | unavailable: ${r.unavailable} | |`
              : `| ${r.name} | ${Math.round(r.mbps)} | ${base ? (r.mbps / base).toFixed(2) : ''} |`,
          ),
          '',
          rssNote,
          '- podman 4.3 has no `--network pasta` (added in 4.4); its rootless default is slirp4netns, its rootful default a bridge; podman publishes slirp4netns ports with its own forwarder (rootlessport), which enters the netns and bypasses slirp for inbound traffic',
          '- the busybox server (`cat > /dev/null`) bounds every row, loopback included: ratios, not absolute MB/s, are the result',
        ].join('\n');
      return {
        rows: [],
        baseline: '',
        notes,
        cleanup: () => {
          const left = teardown();
          if (left.length) throw new Error(`network-throughput left behind: ${left.join('; ')}`);
        },
      };
    } catch (e) {
      teardown();
      throw e;
    }
  },
};
