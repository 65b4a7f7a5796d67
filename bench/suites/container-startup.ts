/**
 * container start-up: `berth run --rm --backend container busybox true` against its peers on the
 * same root filesystem (the berth busybox image's rootfs): `podman run --rm` with runc (the
 * baseline, so the ratio reads "berth / podman"), a bare `runc run` of an OCI bundle, bubblewrap,
 * Node's own start-up (`node -e 0`, the floor of any Node CLI) and Node spawning /bin/true (the floor
 * of any Node CLI that starts a process: node:child_process and one spawn).
 *
 * Podman runs against a throwaway store under the suite's temp dir (--root/--runroot/--tmpdir),
 * with the cgroupfs manager and no events backend; everything it creates, including host paths
 * it creates on first use, is removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchFailure, type Row, type Suite, runOnce } from '../harness.js';
import { berthArgv, findExecutable, isRoot, nodeSpawnFloor } from './common.js';
import { unescapeOctal } from '../../src/host/probes/mountinfo.js';

const BERTH = 'berth run --rm --backend container busybox true';
const PODMAN = 'podman run --rm --network none --runtime runc <image> true';
const RUNC = 'runc run -b <bundle> <unique id>';
const BWRAP = 'bwrap --unshare-all --ro-bind <rootfs> / --proc /proc --dev /dev true';
const NODE = 'node -e 0';
const NODE_SPAWN = "node: spawn /bin/true and wait for it (a Node CLI's floor)";
export const PODMAN_IMAGE = 'berth-bench-busybox';

/** Run a helper command untimed; returns stdout or throws with its stderr. */
export function run(argv: string[], input?: Buffer | string, timeoutMs = 120_000): string {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd as string, args, { input, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? (r.status === null ? `killed by ${r.signal}` : `exit status ${r.status}`);
    throw new Error(`${argv.join(' ')}: ${why}${r.stderr?.length ? `\n${r.stderr.toString().trim()}` : ''}`);
  }
  return r.stdout.toString();
}

/** berth's env ids under a BERTH_ROOT. */
export function berthEnvs(root: string): string[] {
  try {
    return readdirSync(join(root, 'envs'));
  } catch {
    return [];
  }
}

/** Remove every environment under a BERTH_ROOT (best effort; leftovers are checked by callers). */
export function berthRemoveAll(berth: string[], root: string): void {
  const ids = berthEnvs(root);
  if (ids.length)
    spawnSync(berth[0] as string, [...berth.slice(1), 'rm', '-f', ...ids], {
      env: { ...process.env, BERTH_ROOT: root },
      timeout: 300_000,
    });
}

/** Mount points at or below dir, deepest first. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => unescapeOctal(l.split(' ')[1] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

function rmdirTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmdirTree(join(dir, e.name));
  rmdirSync(dir);
}

/**
 * Host paths podman (and berth) create on first use outside their --root: remember which exist
 * before the suite, and afterwards remove those it created (cgroup dirs with rmdir).
 */
export class HostTraces {
  private readonly before: Set<string>;
  constructor() {
    this.before = new Set(HostTraces.paths().filter((p) => existsSync(p)));
  }

  static paths(): string[] {
    const cg = '/sys/fs/cgroup';
    const hier = existsSync(cg)
      ? readdirSync(cg)
          .map((h) => join(cg, h))
          .filter((h) => {
            try {
              return statSync(h).isDirectory();
            } catch {
              return false;
            }
          })
      : [];
    return [
      ...hier.map((h) => join(h, 'libpod_parent')),
      ...hier.map((h) => join(h, 'berth')),
      join(cg, 'libpod_parent'),
      join(cg, 'berth'),
      '/run/containers',
      '/run/libpod',
      '/run/runc',
      '/run/crun',
      '/var/lib/containers',
    ];
  }

  /** Remove what the suite created; returns what could not be removed. */
  undo(): string[] {
    const left: string[] = [];
    for (const p of HostTraces.paths()) {
      if (this.before.has(p) || !existsSync(p)) continue;
      try {
        if (p.startsWith('/sys/fs/cgroup/')) rmdirTree(p);
        else rmSync(p, { recursive: true, force: true });
      } catch (e) {
        left.push(`${p} (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    return left;
  }
}

/** CAP_SYS_RESOURCE in our effective set? Without it runc cannot raise rlimits above ours. */
function hasSysResource(): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? (BigInt(`0x${m[1]}`) & (1n << 24n)) !== 0n : false;
}

function hardLimit(name: string): string | undefined {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name));
  return line?.slice(26).trim().split(/\s+/)[1];
}

export interface Podman {
  /** podman plus the global flags of the throwaway store. */
  argv: string[];
  driver: string;
  /** Flags `podman run` needs here (rlimits this host does not let runc raise). */
  runFlags: string[];
  note: string;
  /** Remove containers, images and the store (unmounts it); throws what is left. */
  remove(): void;
}

/**
 * A throwaway podman store under dir with the rootfs imported as PODMAN_IMAGE, or why not.
 * Tries the overlay storage driver first, then vfs.
 */
export function setupPodman(dir: string, rootfs: string): Podman | string {
  if (!isRoot()) return 'rootful podman only (run the benchmark as root)';
  const podman = findExecutable('podman');
  if (!podman) return 'podman not installed (apt-get install podman runc)';
  if (!findExecutable('runc')) return 'runc not installed (apt-get install runc)';
  const archive = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 256 * 1024 * 1024 }).stdout;
  const errors: string[] = [];
  for (const driver of ['overlay', 'vfs']) {
    // Short paths: podman refuses a runroot longer than 50 characters.
    const base = join(dir, driver === 'overlay' ? 'po' : 'pv');
    const argv = [
      podman,
      '--root',
      join(base, 'root'),
      '--runroot',
      join(base, 'r'),
      '--tmpdir',
      join(base, 'tmp'),
      '--network-config-dir',
      join(base, 'net'),
      '--storage-driver',
      driver,
      '--cgroup-manager',
      'cgroupfs',
      '--events-backend',
      'none',
    ];
    const remove = (): void => {
      spawnSync(argv[0] as string, [...argv.slice(1), 'rm', '-af', '-t', '0'], { timeout: 120_000 });
      spawnSync(argv[0] as string, [...argv.slice(1), 'system', 'reset', '--force'], { timeout: 120_000 });
      for (const m of mountsUnder(base)) spawnSync('umount', ['-l', m]);
      const mounts = mountsUnder(base);
      if (mounts.length) throw new Error(`podman mounts left: ${mounts.join(', ')}`);
      rmSync(base, { recursive: true, force: true });
    };
    try {
      run([...argv, 'import', '-', PODMAN_IMAGE], archive);
      // Podman asks runc for RLIMIT_NOFILE/NPROC far above ours; without CAP_SYS_RESOURCE (as in
      // some sandboxes) runc init fails with EPERM, so then ask for limits it can set.
      let runFlags: string[] = [];
      let note = '';
      const probe = (flags: string[]): void => {
        run([...argv, 'run', '--rm', '--network', 'none', '--runtime', 'runc', ...flags, PODMAN_IMAGE, 'true']);
      };
      try {
        probe(runFlags);
      } catch (e) {
        if (hasSysResource() || !/rlimit/i.test(String(e))) throw e;
        const nofile = hardLimit('Max open files') ?? '1024';
        // podman lowers its own RLIMIT_NPROC to 32768 before starting conmon/runc.
        const nproc = String(Math.min(Number(hardLimit('Max processes') ?? 32768) || 32768, 32768));
        runFlags = ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
        probe(runFlags);
        note = `this host withholds CAP_SYS_RESOURCE, so podman's default rlimits (nofile 1048576, nproc 4194304) make runc fail with EPERM: the podman rows add \`${runFlags.join(' ')}\``;
      }
      if (errors.length)
        note = [note, `overlay storage failed (${errors.join('; ')}), using ${driver}`].filter(Boolean).join('; ');
      return { argv, driver, runFlags, note, remove };
    } catch (e) {
      const msg = (e instanceof Error ? e.message : String(e)).split('\n');
      errors.push(`${driver}: ${msg.length > 1 ? msg.slice(-1)[0] : msg[0]}`.replace(/\|/g, '/'));
      try {
        remove();
      } catch {
        /* reported by the caller's final check */
      }
    }
  }
  return `podman cannot run a container here (${errors.join('; ')})`;
}

export const containerStartup: Suite = {
  name: 'container-startup',
  description:
    'start a command in a container (pid/net/ipc/uts/cgroup namespaces) and wait for it to exit (busybox true), every row on the same busybox rootfs',
  async prepare({ repo }) {
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-container-'));
    const traces = new HostTraces();
    const root = join(tmp, 'berth-root');
    const berth = berthArgv(repo);
    let podman: Podman | string = 'not set up';
    const cleanup = (): void => {
      const left: string[] = [];
      if (typeof berth !== 'string') berthRemoveAll(berth, root);
      if (berthEnvs(root).length) left.push(`berth environments ${berthEnvs(root).join(', ')}`);
      if (typeof podman !== 'string') {
        try {
          podman.remove();
        } catch (e) {
          left.push(e instanceof Error ? e.message : String(e));
        }
      }
      for (const m of mountsUnder(tmp)) spawnSync('umount', ['-l', m]);
      left.push(...mountsUnder(tmp).map((m) => `mount ${m}`));
      left.push(...traces.undo());
      rmSync(tmp, { recursive: true, force: true });
      if (left.length) throw new Error(`container-startup left behind: ${left.join('; ')}`);
    };
    try {
      const rows: Row[] = [];
      const notes: string[] = [];

      // berth itself, with a private store; one untimed run builds the busybox image.
      if (typeof berth === 'string') {
        rows.push({ name: BERTH, unavailable: berth });
        return { rows: [...rows, { name: NODE, argv: [process.execPath, '-e', '0'] }], baseline: PODMAN, cleanup };
      }
      mkdirSync(root);
      const cmd = {
        name: BERTH,
        argv: [...berth, 'run', '--rm', '--backend', 'container', 'busybox', 'true'],
        env: { ...process.env, BERTH_ROOT: root },
      };
      runOnce(cmd, 300_000);
      rows.push(cmd);
      const rootfs = join(root, 'images', 'builtin', 'busybox', 'current', 'rootfs');
      if (!existsSync(join(rootfs, 'bin')))
        throw new BenchFailure(BERTH, `no busybox rootfs at ${rootfs} after the first run`);

      podman = setupPodman(tmp, rootfs);
      if (typeof podman === 'string') {
        rows.push({ name: PODMAN, unavailable: podman });
      } else {
        rows.push({
          name: PODMAN,
          argv: [
            ...podman.argv,
            'run',
            '--rm',
            '--network',
            'none',
            '--runtime',
            'runc',
            ...podman.runFlags,
            PODMAN_IMAGE,
            'true',
          ],
        });
        notes.push(
          `- podman: storage driver ${podman.driver}, throwaway store (\`--root\`, \`--runroot\`, \`--tmpdir\` in a temp dir), \`--cgroup-manager cgroupfs --events-backend none\``,
        );
        if (podman.note) notes.push(`- ${podman.note}`);
      }

      // runc on an OCI bundle from `runc spec`, with a copy of the rootfs.
      const runc = findExecutable('runc');
      if (!isRoot()) rows.push({ name: RUNC, unavailable: 'rootful runc only (run the benchmark as root)' });
      else if (!runc) rows.push({ name: RUNC, unavailable: 'runc not installed (apt-get install runc)' });
      else {
        const bundle = join(tmp, 'runc-bundle');
        mkdirSync(bundle);
        cpSync(rootfs, join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
        run([runc, 'spec', '--bundle', bundle]);
        const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as {
          process: { terminal: boolean; args: string[] };
          root: { path: string };
          linux: { namespaces: { type: string }[] };
        };
        spec.process.terminal = false;
        spec.process.args = ['true'];
        spec.root.path = join(bundle, 'rootfs');
        if (!spec.linux.namespaces.some((n) => n.type === 'cgroup')) spec.linux.namespaces.push({ type: 'cgroup' });
        writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
        // The harness runs the same argv every time: the shell's pid makes the container id unique.
        rows.push({
          name: RUNC,
          argv: [
            '/bin/sh',
            '-c',
            'exec "$1" --root "$2" run -b "$3" "bench-$$"',
            'sh',
            runc,
            join(tmp, 'runc-state'),
            bundle,
          ],
        });
        notes.push(
          '- runc: `runc spec` with `terminal: false`, args `["true"]`, a cgroup namespace added (berth has one), run through `sh -c \'exec runc --root <state> run -b <bundle> bench-$$\'`',
        );
      }

      const bwrap = findExecutable('bwrap');
      if (!bwrap) rows.push({ name: BWRAP, unavailable: 'bwrap not installed (apt-get install bubblewrap)' });
      else
        rows.push({
          name: BWRAP,
          argv: [bwrap, '--unshare-all', '--ro-bind', rootfs, '/', '--proc', '/proc', '--dev', '/dev', 'true'],
        });

      rows.push({ name: NODE, argv: [process.execPath, '-e', '0'] });
      rows.push(nodeSpawnFloor(NODE_SPAWN, [findExecutable('true') ?? '/bin/true']));
      return { rows, baseline: PODMAN, targets: { [BERTH]: 0.35 }, cleanup, notes: () => notes.join('\n') };
    } catch (e) {
      try {
        cleanup();
      } catch (c) {
        console.error(`bench: ${c instanceof Error ? c.message : String(c)}`);
      }
      if (e instanceof BenchFailure) throw new BenchFailure(e.row, `untimed first run failed: ${e.message}`);
      throw e;
    }
  },
};
