/**
 * What only a new uml environment needs (create and boot): the kernel, base disk and
 * initramfs, the host identity of root's kernel, slirp and -p, and the monitor's start plan.
 * Loaded on first use by uml-driver.ts, so exec, stop and rm (a pool claim) never load the
 * disk, kernel and network code (ADR 0069).
 */
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Handle, PreparedEnv } from '../driver.js';
import { vmRunDir } from '../vm/vm-run-dir.js';
import type { EnvRecord, EnvStore } from '../../core/env-store.js';
import type { VmStartPlan } from '../vm/vm-driver.js';
import { mainRequest } from '../vm/guest-requests.js';
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
import { UML_FILES, type UmlFiles } from './uml-files.js';

/** Build a uml environment: its COW file's directory, base disk, kernel and initramfs, recorded in uml.json. */
export async function createUml(store: EnvStore, env: PreparedEnv): Promise<Handle> {
  // Cheap refusals first: nothing is built for a run that cannot start.
  const hostUser = umlHostUser(env.id, process.getuid?.() ?? 0);
  if (hostUser) {
    for (const m of env.spec.mounts) checkReachable(hostUser, m.source, 'a -v source');
  }
  const slirp = env.spec.resolved.network.kind === 'user' ? await prepareSlirp(env) : undefined;
  // The kernel's tuntap network driver takes no MTU above 1500.
  return withVmBridge(store, env, 1500, (bridge) => build(store, env, slirp, bridge, hostUser));
}

async function build(
  store: EnvStore,
  env: PreparedEnv,
  slirp: string | undefined,
  bridge: VmBridge | undefined,
  hostUser: HostUser | undefined,
): Promise<Handle> {
  const kernel = await resolveUmlKernel(store.paths, env.spec.kernel, process.env, firstUseOptions(env));
  const runDir = vmRunDir(store.paths, env.id);
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  // The COW file in a directory of its own: the kernel creates it there, as its own identity.
  const cowDir = join(env.dir, 'uml');
  mkdirSync(cowDir, { recursive: true, mode: 0o700 });
  // A COW file is the size of its base: --disk-size asks for a base of exactly that size.
  const [{ base }, initrd] = await Promise.all([
    baseForEnvironment(env.image, 'uml', {
      disksDir: disksDirOf(store.paths.images),
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
    prepareHostDirs(hostUser, store.paths, env.dir, [runDir, cowDir]);
    checkReachable(hostUser, files.kernel, 'the uml kernel', 'x');
    checkReachable(hostUser, files.initrd, 'the initramfs');
    checkReachable(hostUser, files.base, 'the base disk');
    checkReachable(hostUser, cowDir, 'the COW directory', 'rx');
    checkReachable(hostUser, runDir, 'the uml_dir', 'rx');
    if (files.modules) checkReachable(hostUser, files.modules, 'the kernel modules', 'rx');
    if (slirp) checkReachable(hostUser, slirp, 'slirp', 'x');
  }
  writeJsonAtomic(join(env.dir, UML_FILES), files, 0o600, false);
  if (slirp) writeJsonAtomic(join(env.dir, NETWORK_FILE), userNetState('slirp', env.spec.ports), 0o600, false);
  return { id: env.id, name: env.name, backend: 'uml', dir: env.dir };
}

/** `--network user`: the slirp helper; `-p` ports must be free now (the monitor binds them). */
async function prepareSlirp(env: PreparedEnv): Promise<string> {
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

/** What the monitor boots: the kernel's command line, the main command's START, the bulk channel. */
export function umlStartPlan(f: UmlFiles, rec: EnvRecord): VmStartPlan {
  const bulkDir = makeBulkDir(f);
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
function makeBulkDir(f: UmlFiles): string {
  const dir = join(f.runDir, 'bulk');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (f.hostUser) chownSync(dir, f.hostUser.uid, f.hostUser.gid);
  return dir;
}
