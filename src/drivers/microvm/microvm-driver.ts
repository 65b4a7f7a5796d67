/**
 * microvm backend: QEMU `-M microvm` with the cloud kernel from src/kernels, an initramfs with
 * berth's guest init and the virtio module closure, the image's shared ext4 base under a
 * per-environment qcow2 overlay (src/disks), the control channel on a virtio-serial port (berth.ctl)
 * and QMP on unix sockets in a short runtime dir. The detached VM monitor
 * (src/drivers/vm/vm-monitor.ts) owns the QEMU process, as for uml.
 */
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecOptions, Handle, PreparedEnv } from '../driver.js';
import { vmRunDir } from '../vm/vm-run-dir.js';
import type { EnvRecord } from '../../core/env-store.js';
import { VmDriver, type VmStartPlan } from '../vm/vm-driver.js';
import { mainRequest, execRequest } from '../vm/guest-requests.js';
import { writeJsonAtomic } from '../../core/atomic-write.js';
import { DriverError } from '../../core/errors.js';
import { hostTscKhz } from '../../host/tsc.js';
import { overlayFromBlank } from '../../disks/blank-overlay.js';
import { toPortForward } from './port-forwards.js';
import { checkHostPortsFree } from '../../network/attach/host-ports.js';
import { userNetState } from '../vm/user-net-guest.js';
import { NETWORK_FILE } from '../../network/network-state.js';
import { withVmBridge, type VmBridge } from '../vm/vm-network.js';
import type { PortForward } from './qemu-cmdline.js';
import { MAX_NETWORK_MTU } from '../../network/net-cmdline.js';
import { guestMemoryMiB } from '../vm/guest-memory.js';
import { MiB } from '../../core/resolved-spec.js';
import {
  incomingSocket,
  MICROVM_FILES,
  monitorSocket,
  qmpSocket,
  readMicrovmFiles,
  type MicrovmFiles,
} from './microvm-files.js';
import { microvmLaunch } from './microvm-launch.js';
import { bulkDiskPath, makeBulkDisk } from './bulk-disk.js';
import { listCheckpoints, loadCheckpoint, queryStatus, saveCheckpoint, withQmp } from './qmp-control.js';
import { loadVmStateDeferred, saveVmState } from './vm-state-file.js';
import { machineNow } from './template-machine.js';
import { kvmDevicePresent } from './microvm-capabilities.js';
import { imageKey } from '../../disks/base-names.js';
import { isProcessAlive } from '../../core/process-identity.js';
import { inspectSource } from '../vm/host-source.js';
import { SHARES_DIR, virtiofsGuestMounts, virtiofsShares } from './virtiofs-shares.js';
import { rootlessIdMaps } from '../../host/id-maps.js';
import { unshareArgv } from '../../host/shim-cmdline.js';
import { shimPath } from '../../host/native-paths.js';
import {
  incompatible,
  machineDifferences,
  TEMPLATE_BUILD_LABEL,
  TEMPLATE_BLANK_OVERLAY,
  TEMPLATE_DISK,
  TEMPLATE_MEMORY,
  TEMPLATE_STATE,
  type TemplateMachine,
} from '../../templates/template-record.js';

export class MicrovmDriver extends VmDriver {
  readonly name = 'microvm' as const;

  async create(env: PreparedEnv): Promise<Handle> {
    const spec = env.spec;
    // Cheap refusals first: nothing is built for a run that cannot start.
    // validateMicrovm allowed none, user and (as root) bridge networks (never host), and -p only with one of the latter.
    const kind = spec.resolved.network.kind;
    const network: MicrovmFiles['network'] = kind === 'host' ? 'none' : kind;
    const forwards = network === 'user' ? spec.ports.map(toPortForward) : [];
    await checkHostPortsFree(forwards);
    // virtio-net takes any MTU berth sets on a network.
    return withVmBridge(this.store, env, MAX_NETWORK_MTU, (bridge) =>
      env.template ? this.clone(env, network, forwards, bridge) : this.build(env, network, forwards, bridge),
    );
  }

  private async build(
    env: PreparedEnv,
    network: MicrovmFiles['network'],
    forwards: PortForward[],
    bridge: VmBridge | undefined,
  ): Promise<Handle> {
    const { bootFiles } = await import('./microvm-boot-files.js');
    const files = await bootFiles(this.store.paths, env, network, forwards, bridge);
    writeJsonAtomic(join(env.dir, MICROVM_FILES), files, 0o600, false);
    if (network === 'user')
      writeJsonAtomic(join(env.dir, NETWORK_FILE), userNetState('qemu', env.spec.ports), 0o600, false);
    return { id: env.id, name: env.name, backend: this.name, dir: env.dir };
  }

  /** A clone of a template: its own overlay over the frozen disk, resumed from the saved state. */
  private async clone(
    env: PreparedEnv,
    network: MicrovmFiles['network'],
    forwards: PortForward[],
    bridge: VmBridge | undefined,
  ): Promise<Handle> {
    const { record: t, dir } = env.template!;
    const m = t.machine;
    if (!m) throw new DriverError('not-a-vm-template', `template ${t.name} holds no VM state`);
    const now = machineNow(
      {
        kernel: m.kernel.split('@')[0]!,
        initrd: m.initrd.split('@')[0]!,
        accel: m.accel === 'kvm' && !kvmDevicePresent() ? 'tcg' : m.accel,
        memoryBytes: guestMemoryMiB(env.spec) * MiB,
        cpus: env.spec.limits.cpus ?? 1,
        network,
        ...(bridge ? { mtu: bridge.mtu } : {}),
        diskBytes: m.diskBytes,
        baseKey: m.baseKey,
      },
      m,
    );
    const diffs = machineDifferences(m, now);
    if (diffs.length > 0) throw incompatible(t.name, diffs);
    const overlay = await cloneOverlay(dir, m.diskBytes, join(env.dir, 'disk.qcow2'));
    const runDir = vmRunDir(this.store.paths, env.id);
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const files: MicrovmFiles = {
      kernel: m.kernel.split('@')[0]!,
      ...(m.kernelRelease ? { kernelRelease: m.kernelRelease } : {}),
      initrd: m.initrd.split('@')[0]!,
      base: join(dir, TEMPLATE_DISK),
      baseBytes: m.diskBytes,
      overlay: overlay.path,
      diskBytes: overlay.sizeBytes,
      accel: m.accel,
      accelReason: `as template ${t.name} was made`,
      network,
      forwards,
      runDir,
      // A bridge network: its own tap, MAC and lease; the guest takes the latter two from IDENTITY.
      ...(bridge ? { bridge } : {}),
      template: {
        name: t.name,
        state: join(dir, TEMPLATE_STATE),
        ...(m.memoryFile ? { memory: join(dir, TEMPLATE_MEMORY) } : {}),
      },
    };
    writeJsonAtomic(join(env.dir, MICROVM_FILES), files, 0o600, false);
    if (network === 'user')
      writeJsonAtomic(join(env.dir, NETWORK_FILE), userNetState('qemu', env.spec.ports), 0o600, false);
    return { id: env.id, name: env.name, backend: this.name, dir: env.dir };
  }

  override async saveTemplate(h: Handle, into: string, live = false): Promise<TemplateMachine> {
    const f = readMicrovmFiles(h.dir);
    const rec = this.record(h);
    if (live) this.refuseShares(h, 'templates');
    if (live && f.template) {
      // Its disk is a layer over template f.template.name's: the new template would depend on that one.
      throw new DriverError(
        'template-of-clone',
        `environment ${h.name} is a clone of template ${f.template.name}: a template cannot be made from a clone yet`,
        { fix: `run the image without --template, then berth template create NAME --from that environment` },
      );
    }
    const machine = machineNow({
      kernel: f.kernel,
      ...(f.kernelRelease ? { kernelRelease: f.kernelRelease } : {}),
      initrd: f.initrd,
      accel: f.accel,
      memoryBytes: guestMemoryMiB(rec.spec) * MiB,
      cpus: rec.spec.limits.cpus ?? 1,
      network: f.network,
      ...(f.bridge ? { mtu: f.bridge.mtu } : {}),
      diskBytes: f.diskBytes,
      baseKey: imageKey(rec.image),
    });
    if (live) {
      await this.forkLive(h, f, into);
      return machine;
    }
    // A template build keeps the guest's RAM in a shared file (startPlan): the stream leaves it out.
    const ram = join(h.dir, TEMPLATE_MEMORY);
    const ramInFile = existsSync(ram);
    await saveVmState(qmpSocket(f), join(into, TEMPLATE_STATE), ramInFile);
    // The state is saved and QEMU has flushed the disk: end QEMU before the disk moves.
    await this.halt(h);
    const child = this.store.readPids(h.id)?.child;
    for (let i = 0; i < 500 && child !== undefined && isProcessAlive(child); i++)
      await new Promise((r) => setTimeout(r, 20));
    const disk = join(into, TEMPLATE_DISK);
    renameSync(f.overlay, disk);
    chmodSync(disk, 0o444);
    if (!ramInFile) return machine;
    // Clones map it privately; QEMU opens it read-write (7.2's readonly=on would make the guest's RAM ROM).
    const kept = join(into, TEMPLATE_MEMORY);
    renameSync(ram, kept);
    chmodSync(kept, 0o600);
    const { digHoles } = await import('../../host/dig-holes.js');
    await digHoles(kept);
    return { ...machine, memoryFile: true };
  }

  /**
   * --from: save the running VM and freeze its current overlay (vm-fork.ts); the source goes on
   * over a new overlay. The frozen file stays where the source's new overlay names it, and the
   * template gets a hard link to it (a copy across file systems).
   */
  private async forkLive(h: Handle, f: MicrovmFiles, into: string): Promise<void> {
    const frozen = f.overlay;
    const newOverlay = join(h.dir, `disk-${Date.now().toString(36)}.qcow2`);
    const { forkRunningVm } = await import('./vm-fork.js');
    await forkRunningVm(
      {
        qmp: qmpSocket(f),
        stateFile: join(into, TEMPLATE_STATE),
        streamSocket: join(f.runDir, 'fork.sock'),
        newOverlay,
      },
      () => writeJsonAtomic(join(h.dir, MICROVM_FILES), { ...f, overlay: newOverlay }, 0o600, false),
    );
    const disk = join(into, TEMPLATE_DISK);
    try {
      linkSync(frozen, disk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      copyFileSync(frozen, disk);
    }
    chmodSync(disk, 0o444);
  }

  protected async startPlan(h: Handle, rec: EnvRecord): Promise<VmStartPlan> {
    const f = readMicrovmFiles(h.dir);
    await checkHostPortsFree(f.forwards);
    const tscKhz = hostTscKhz();
    const shares = virtiofsShares(rec.spec.mounts, h.dir, f.runDir, inspectSource);
    for (const s of shares) {
      mkdirSync(s.stage, { recursive: true, mode: 0o700 });
      rmSync(s.socket, { force: true }); // a socket left by an earlier start: the monitor waits for a new one
    }
    const maps = rec.rootless ? rootlessIdMaps() : undefined;
    const build = rec.spec.labels[TEMPLATE_BUILD_LABEL] !== undefined;
    const memory = f.template?.memory;
    const state = f.template?.state;
    const bulkDisk = bulkDiskPath(f.runDir);
    makeBulkDisk(bulkDisk);
    return {
      bulkDisk,
      launch: microvmLaunch({
        files: f,
        memoryMiB: guestMemoryMiB(rec.spec),
        cpus: rec.spec.limits.cpus ?? 1,
        hostname: rec.hostname,
        ...(tscKhz ? { tscKhz } : {}),
        ...(build ? { templateBuild: true } : {}),
        // A template build's RAM is a shared file that becomes the template's (ADR 0066; not with -v's memfd).
        ...(build && shares.length === 0 ? { memoryFile: { path: join(h.dir, TEMPLATE_MEMORY), shared: true } } : {}),
        ...(memory ? { memoryFile: { path: memory, shared: false } } : {}),
        ...(shares.length > 0
          ? {
              shares: {
                list: shares,
                needle: `${join(h.dir, SHARES_DIR)}/`,
                host: maps ? { userns: (argv: string[]) => unshareArgv(shimPath(), maps.uid, maps.gid, argv) } : {},
              },
            }
          : {}),
      }),
      main: mainRequest(rec, virtiofsGuestMounts(shares)),
      bootTimeoutMs: f.accel === 'tcg' ? 180_000 : 60_000,
      bridged: f.bridge !== undefined,
      ...(rec.spec.labels[TEMPLATE_BUILD_LABEL] !== undefined ? { holdAfterExit: true } : {}),
      ...(f.template
        ? {
            identity: {
              hostname: rec.hostname,
              ...(f.bridge ? { net: { lease: f.bridge.guestArg.replace(/^berth\.net=/, ''), mac: f.bridge.mac } } : {}),
            },
          }
        : {}),
      ...(memory && state
        ? { afterLaunch: (alive) => loadVmStateDeferred(qmpSocket(f), state, incomingSocket(f), alive) }
        : {}),
    };
  }

  protected monitorSocket(h: Handle): string {
    return monitorSocket(readMicrovmFiles(h.dir));
  }

  protected execRequest(rec: EnvRecord, argv: string[], opts: ExecOptions) {
    return execRequest(rec, argv, opts);
  }

  private qmp(h: Handle): string {
    return qmpSocket(readMicrovmFiles(h.dir));
  }

  /** QMP quit ends QEMU at once. */
  protected halt(h: Handle): Promise<boolean> {
    return withQmp(this.qmp(h), (q) => q.execute('quit')).then(
      () => true,
      () => false,
    );
  }

  /** For inspect: the accelerator and why, and QEMU's run state over QMP while it runs. */
  override async machine(h: Handle): Promise<Record<string, unknown>> {
    const f = readMicrovmFiles(h.dir);
    const out: Record<string, unknown> = {
      accel: f.accel,
      accelReason: f.accelReason,
      kernel: f.kernel,
      kernelRelease: f.kernelRelease ?? 'unknown',
      overlay: f.overlay,
      base: f.base,
      diskBytes: f.diskBytes,
      network: f.network,
      forwards: f.forwards,
      ...(f.template ? { template: f.template.name } : {}),
    };
    const st = this.store.status(h.id).state;
    if (st === 'running' || st === 'paused') {
      out.qmp = await queryStatus(qmpSocket(f)).catch((e: Error) => ({ error: e.message }));
      out.checkpoints = await listCheckpoints(qmpSocket(f)).catch(() => []);
    } else out.qmp = { status: 'not running' };
    return out;
  }

  async pause(h: Handle): Promise<void> {
    await withQmp(this.qmp(h), (q) => q.execute('stop'));
  }

  async resume(h: Handle): Promise<void> {
    await withQmp(this.qmp(h), (q) => q.execute('cont'));
  }

  override async checkpoint(h: Handle, name: string): Promise<void> {
    this.store.runningPids(h.id, h.name, 'checkpoints are taken of a running environment');
    this.refuseShares(h, 'checkpoints');
    await saveCheckpoint(this.qmp(h), name);
  }

  /** vhost-user-fs is not migratable: QEMU cannot save a VM with virtiofs shares (ADR 0059). */
  private refuseShares(h: Handle, what: string): void {
    if (this.record(h).spec.mounts.length > 0)
      throw new DriverError(
        'vm-shares-unsaveable',
        `${what} of ${h.name} are not possible: its -v shares (virtiofs) cannot be saved`,
        {
          fix: 'run it without -v to take checkpoints',
        },
      );
  }

  override async restore(h: Handle, name: string): Promise<void> {
    this.store.runningPids(h.id, h.name, 'restore works on the running environment the checkpoint was taken of');
    await loadCheckpoint(this.qmp(h), name);
    await this.tellRestored(h);
  }
}

/**
 * A clone's overlay over the template's disk: a copy of the template's blank overlay (every
 * clone's starts the same, and a copy costs no qemu-img start; ADR 0066), which the first clone
 * makes (disks/blank-overlay.ts). Where the template's directory cannot take it, qemu-img makes
 * the clone's own.
 */
function cloneOverlay(dir: string, diskBytes: number, overlay: string) {
  const base = { path: join(dir, TEMPLATE_DISK), sizeBytes: diskBytes };
  return overlayFromBlank({ base, baseFormat: 'qcow2', overlay, blank: join(dir, TEMPLATE_BLANK_OVERLAY) });
}
