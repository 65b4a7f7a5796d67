/**
 * uml backend: the image's files on a shared ext4 base disk plus a per-environment ubd COW
 * file, booted by a User-mode Linux kernel as the calling user (root's: as an unprivileged uid of
 * its own, ADR 0046, uml-host-dirs.ts), with berth's init as PID 1.
 * A detached VM monitor (src/drivers/vm/vm-monitor.ts) owns the kernel process; this
 * driver prepares the disk, starts the monitor and talks to it over its unix socket.
 */
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecOptions, Handle, PreparedEnv } from '../driver.js';
import type { EnvRecord } from '../../core/env-store.js';
import { VmDriver, type VmStartPlan } from '../vm/vm-driver.js';
import { mainRequest, execRequest } from '../vm/guest-requests.js';
import { writeJsonAtomic } from '../../core/atomic-write.js';
import { DriverError } from '../../core/errors.js';
import { umlArgv } from './uml-cmdline.js';
import { umlGuestMounts } from './uml-mounts.js';
import { inspectSource } from '../vm/host-source.js';
import { findSlirp } from './slirp-helper.js';
import { userNetState } from '../vm/user-net-guest.js';
import { NETWORK_FILE } from '../../network/network-state.js';
import { withVmBridge, type VmBridge } from '../vm/vm-network.js';
import { checkHostPortsFree } from '../../network/attach/host-ports.js';
import { resolveUmlKernel } from './uml-kernel.js';
import { diskProgress, firstUseOptions } from '../vm/first-use.js';
import { umlInitramfs } from './uml-initramfs.js';
import { baseForEnvironment, disksDirOf } from '../../disks/index.js';
import { guestMemoryMiB } from '../vm/guest-memory.js';
import { shortId } from '../../core/names.js';
import { umlHostUser, type HostUser } from '../../host/uml-host-user.js';
import { checkReachable, prepareHostDirs } from './uml-host-dirs.js';

interface UmlFiles {
  kernel: string;
  base: string;
  initrd: string;
  cow: string;
  /** Short runtime dir: the monitor's socket and UML's mconsole socket (unix paths are short). */
  runDir: string;
  umid: string;
  /** `--network user`: the slirp helper the kernel runs for eth0. */
  slirp?: string;
  /** The kernel's modules on the host (modprobe inside reads them through hostfs). */
  modules?: string;
  /** A bridge network: the tap on the berth bridge, the NIC's MAC, the guest's address. */
  bridge?: VmBridge;
  /** Root's environments: the unprivileged identity the kernel runs as (ADR 0046). */
  hostUser?: HostUser;
}

export class UmlDriver extends VmDriver {
  readonly name = 'uml' as const;

  private files(h: { id: string; dir: string }): UmlFiles {
    return JSON.parse(readFileSync(join(h.dir, 'uml.json'), 'utf8')) as UmlFiles;
  }

  async create(env: PreparedEnv): Promise<Handle> {
    // Cheap refusals first: nothing is built for a run that cannot start.
    const hostUser = umlHostUser(env.id, process.getuid?.() ?? 0);
    if (hostUser) {
      for (const m of env.spec.mounts) checkReachable(hostUser, m.source, 'a -v source');
    }
    const slirp = env.spec.resolved.network.kind === 'user' ? await this.prepareSlirp(env) : undefined;
    // The kernel's tuntap network driver takes no MTU above 1500.
    return withVmBridge(this.store, env, 1500, (bridge) => this.build(env, slirp, bridge, hostUser));
  }

  private async build(
    env: PreparedEnv,
    slirp: string | undefined,
    bridge: VmBridge | undefined,
    hostUser: HostUser | undefined,
  ): Promise<Handle> {
    const kernel = await resolveUmlKernel(this.store.paths, env.spec.kernel, process.env, firstUseOptions(env));
    const runDir = join(this.store.paths.runtime, 'vm', env.id.slice(0, 16));
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    // The COW file in a directory of its own: the kernel creates it there, as its own identity.
    const cowDir = join(env.dir, 'uml');
    mkdirSync(cowDir, { recursive: true, mode: 0o700 });
    // A COW file is the size of its base: --disk-size asks for a base of exactly that size.
    const [{ base }, initrd] = await Promise.all([
      baseForEnvironment(env.image, 'uml', {
        disksDir: disksDirOf(this.store.paths.images),
        rootless: env.rootless,
        ...diskProgress(env),
        ...(env.spec.diskSizeBytes !== undefined ? { diskSizeBytes: env.spec.diskSizeBytes } : {}),
      }),
      umlInitramfs(kernel),
    ]);
    const files: UmlFiles = {
      kernel: kernel.kernel,
      base: base.path,
      initrd,
      cow: join(cowDir, 'disk.cow'),
      runDir,
      umid: `berth-${shortId(env.id)}`,
      ...(slirp ? { slirp } : {}),
      ...(kernel.modulesDir ? { modules: kernel.modulesDir } : {}),
      ...(bridge ? { bridge } : {}),
      ...(hostUser ? { hostUser } : {}),
    };
    if (hostUser) {
      // After the base disk and initramfs exist: their store directories are opened too.
      prepareHostDirs(hostUser, this.store.paths, env.dir, [runDir, cowDir]);
      checkReachable(hostUser, files.kernel, 'the uml kernel', 'x');
      checkReachable(hostUser, files.initrd, 'the initramfs');
      checkReachable(hostUser, files.base, 'the base disk');
      checkReachable(hostUser, cowDir, 'the COW directory', 'rx');
      checkReachable(hostUser, runDir, 'the uml_dir', 'rx');
      if (files.modules) checkReachable(hostUser, files.modules, 'the kernel modules', 'rx');
      if (slirp) checkReachable(hostUser, slirp, 'slirp', 'x');
    }
    writeJsonAtomic(join(env.dir, 'uml.json'), files, 0o600, false);
    if (slirp) writeJsonAtomic(join(env.dir, NETWORK_FILE), userNetState('slirp', env.spec.ports), 0o600, false);
    return { id: env.id, name: env.name, backend: this.name, dir: env.dir };
  }

  /** `--network user`: the slirp helper; `-p` ports must be free now (the monitor binds them). */
  private async prepareSlirp(env: PreparedEnv): Promise<string> {
    const helper = findSlirp();
    if (!helper)
      throw new DriverError('no-slirp', '--network user on the uml backend needs slirp, which is not installed', {
        fix: 'install it (apt-get install slirp), or drop --network user',
      });
    await checkHostPortsFree(
      env.spec.ports.map((p) => ({ proto: p.protocol, hostAddr: p.hostIp ?? '0.0.0.0', hostPort: p.hostPort })),
    );
    return helper;
  }

  protected async startPlan(h: Handle, rec: EnvRecord): Promise<VmStartPlan> {
    const f = this.files(h);
    const bulkDir = this.bulkDir(f);
    return {
      launch: {
        argv: umlArgv({
          kernel: f.kernel,
          memoryMiB: guestMemoryMiB(rec.spec),
          umid: f.umid,
          umlDir: f.runDir,
          cow: f.cow,
          base: f.base,
          initrd: f.initrd,
          ctlFd: 3,
          consoleFd: 4,
          hostname: rec.hostname,
          ...(f.slirp ? { slirp: f.slirp } : {}),
          ...(f.modules ? { modules: f.modules } : {}),
          bulk: bulkDir,
          ...(f.bridge ? { tap: { name: f.bridge.tap, mac: f.bridge.mac, guestArg: f.bridge.guestArg } } : {}),
        }),
        ctl: { kind: 'fd', fd: 3 },
        consoleFd: 4,
        what: 'the uml kernel',
        ...(f.hostUser ? { user: f.hostUser, cwd: f.runDir } : {}),
      },
      ...(f.hostUser ? { tapOwner: f.hostUser } : {}),
      // -v: the guest mounts the host directory (or a file's directory) through hostfs; files are
      // reached as the kernel's host identity (root's environments: their own unprivileged uid, ADR 0046).
      main: mainRequest(rec, umlGuestMounts(rec.spec.mounts, inspectSource)),
      bootTimeoutMs: 120_000,
      bulkDir,
      bridged: f.bridge !== undefined,
      // With slirp (--network user) the monitor serves -p itself; on a bridge they are DNAT rules.
      ...(f.slirp
        ? {
            relayedPorts: rec.spec.ports.map((p) => ({
              hostAddr: p.hostIp ?? '0.0.0.0',
              hostPort: p.hostPort,
              guestPort: p.guestPort,
            })),
          }
        : {}),
    };
  }

  /**
   * The bulk channel's directory (ADR 0053): in the runtime dir (tmpfs on most hosts), the
   * kernel's own, made at every start (a runtime dir may not outlive a host reboot).
   */
  private bulkDir(f: UmlFiles): string {
    const dir = join(f.runDir, 'bulk');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (f.hostUser) chownSync(dir, f.hostUser.uid, f.hostUser.gid);
    return dir;
  }

  protected monitorSocket(h: Handle): string {
    return join(this.files(h).runDir, 'monitor.sock');
  }

  protected runDir(h: Handle): string {
    return this.files(h).runDir;
  }

  protected execRequest(rec: EnvRecord, argv: string[], opts: ExecOptions) {
    return execRequest(rec, argv, opts);
  }

  /** Halt the guest kernel through its management console. */
  protected async halt(h: Handle): Promise<boolean> {
    const f = this.files(h);
    // execa on first use: a pool run or a start never halts, and execa is a fifth of what they load (ADR 0066).
    const { execa } = await import('execa');
    const r = await execa('uml_mconsole', [join(f.runDir, f.umid, 'mconsole'), 'halt'], {
      reject: false,
      timeout: 5_000,
      ...mconsoleAs(f),
    }).catch(() => undefined);
    return r?.exitCode === 0;
  }

  private async mconsole(h: Handle, cmd: 'stop' | 'go'): Promise<void> {
    const f = this.files(h);
    const { execa } = await import('execa');
    const r = await execa('uml_mconsole', [join(f.runDir, f.umid, 'mconsole'), cmd], {
      reject: false,
      timeout: 10_000,
      ...mconsoleAs(f),
    }).catch((e: Error) => ({ exitCode: 1, stdout: '', stderr: e.message }));
    if (r.exitCode !== 0 || /ERR/.test(String(r.stdout))) {
      throw new DriverError('mconsole-failed', `uml_mconsole ${cmd} failed: ${String(r.stderr || r.stdout).trim()}`, {
        fix: 'install uml-utilities',
      });
    }
  }

  pause(h: Handle): Promise<void> {
    return this.mconsole(h, 'stop');
  }

  resume(h: Handle): Promise<void> {
    return this.mconsole(h, 'go');
  }
}

/**
 * uml_mconsole runs as the kernel's identity: the kernel (an unprivileged uid for root's
 * environments) answers on the client's own socket, which it may write only then.
 */
function mconsoleAs(f: UmlFiles): { uid?: number; gid?: number; cwd?: string } {
  return f.hostUser ? { uid: f.hostUser.uid, gid: f.hostUser.gid, cwd: f.runDir } : {};
}
