/**
 * microvm backend: QEMU `-M microvm` with the cloud kernel from src/kernels, an initramfs with
 * berth's guest init and the virtio module closure, the image's shared ext4 base under a
 * per-environment qcow2 overlay (src/disks), the control channel on a virtconsole (/dev/hvc0)
 * and QMP on unix sockets in a short runtime dir. The detached VM monitor
 * (src/drivers/shared/vm-monitor.ts) owns the QEMU process, as for uml.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Capabilities, Driver, ExecOptions, ExitResult, Handle, PreparedEnv, Probe, Problem, Status, StopOptions } from '../driver.js';
import type { EnvSpec } from '../../core/spec.js';
import type { EnvRecord, EnvStore } from '../../core/env-store.js';
import { FrameType as F, decodeExit, encodeU32 } from '../shared/guest-protocol.js';
import { VmClient, relay, execSession, terminalSize } from '../shared/vm-client.js';
import { captureSession } from '../shared/vm-capture.js';
import { MONITOR_CONFIG, MONITOR_PID, CONSOLE_LOG, type VmMonitorConfig } from '../shared/vm-monitor-config.js';
import { monitorEntry } from '../shared/vm-monitor-entry.js';
import { killProcessesMentioning } from '../shared/vm-processes.js';
import { signalNumber, waitForExit } from '../shared/monitor-control.js';
import { writeJsonAtomic } from '../../core/atomic-write.js';
import { isProcessAlive, processStartTime } from '../../core/process-identity.js';
import { DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_FILES } from '../../core/cri-log.js';
import { DriverError, KernelError, StateError } from '../../core/errors.js';
import { findNative } from '../../host/native-paths.js';
import { hostTscKhz } from '../../host/tsc.js';
import { resolveKernel } from '../../kernels/resolve.js';
import { buildInitramfs } from '../../kernels/initramfs.js';
import { baseForEnvironment, createQcow2Overlay, disksDirOf } from '../../disks/index.js';
import { kvmUsable } from './kvm-probe.js';
import { chooseAccel } from './microvm-accel.js';
import { toPortForward } from './port-forwards.js';
import { checkHostPortsFree } from '../shared/host-ports.js';
import { userNetState } from '../shared/user-net-guest.js';
import { NETWORK_FILE } from '../../network/network-state.js';
import { attachVmNetwork, isBridgeNetwork, releaseVmNetwork, withVmBridge, VM_HOSTS_FILE, type VmBridge } from '../shared/vm-network.js';
import type { PortForward } from './qemu-cmdline.js';
import { MICROVM_CAPABILITIES, MICROVM_DEFAULT_MEMORY, validateMicrovm } from './microvm-capabilities.js';
import { probeMicrovm } from './microvm-probe.js';
import { MICROVM_FILES, monitorSocket, qmpSocket, readMicrovmFiles, type MicrovmFiles } from './microvm-files.js';
import { microvmLaunch } from './microvm-launch.js';
import { listCheckpoints, loadCheckpoint, queryStatus, saveCheckpoint, withQmp } from './qmp-control.js';

export class MicrovmDriver implements Driver {
  readonly name = 'microvm' as const;
  private readonly attachedRuns = new Map<string, Promise<ExitResult>>();

  constructor(private readonly store: EnvStore) {}

  probe(): Promise<Probe> {
    return probeMicrovm();
  }

  capabilities(): Capabilities {
    return MICROVM_CAPABILITIES;
  }

  validate(spec: EnvSpec, rootless: boolean): Problem[] {
    return validateMicrovm(spec, undefined, rootless);
  }

  private record(h: Handle): EnvRecord {
    const rec = this.store.readRecord(h.id);
    if (!rec) throw new StateError('no-such-env', `no such environment: ${h.name}`, { fix: 'list them with "berth ps -a"' });
    return rec;
  }

  async create(env: PreparedEnv): Promise<Handle> {
    const spec = env.spec;
    // Cheap refusals first: nothing is built for a run that cannot start.
    // validateMicrovm allowed none, user and (as root) bridge networks.
    const network: MicrovmFiles['network'] = spec.network === 'user' ? 'user' : isBridgeNetwork(spec) ? 'bridge' : 'none';
    const forwards = network === 'user' ? spec.ports.map(toPortForward) : [];
    if (spec.ports.length > 0 && network === 'none') {
      throw new DriverError('publish-needs-network', '-p needs a network of the environment\'s own on the microvm backend', { fix: 'add --network user, --network bridge or --network NAME' });
    }
    await checkHostPortsFree(forwards);
    return withVmBridge(this.store, env, (bridge) => this.build(env, network, forwards, bridge));
  }

  private async build(env: PreparedEnv, network: MicrovmFiles['network'], forwards: PortForward[], bridge: VmBridge | undefined): Promise<Handle> {
    const spec = env.spec;
    const paths = this.store.paths;
    const kernel = await resolveKernel(paths, spec.kernel ?? 'microvm');
    if (kernel.format === 'uml') {
      throw new KernelError('wrong-kernel-format', `kernel ${kernel.name} is a User-mode Linux kernel, not one QEMU can boot`, { fix: 'use --kernel microvm or a bzImage' });
    }
    const init = findNative('berth-guest-init');
    if (!init) throw new DriverError('no-guest-init', 'the guest init berth-guest-init is not built', { fix: 'run "npm run build" (make -C native)' });
    // A NIC: its driver too (Debian's cloud kernel has virtio_net as a module).
    const initrd = await buildInitramfs({ kernel, init, ...(network !== 'none' ? { modules: [...kernel.bootModules, 'virtio_net'] } : {}) });
    const accel = await chooseAccel(spec.accel ?? 'auto', () => kvmUsable({ cacheDir: paths.runtime, kernel: kernel.kernel, initrd: initrd.path }));
    if (process.stderr.isTTY && spec.accel !== 'tcg') process.stderr.write(`berth: microvm: ${accel.reason}\n`);
    const { base, diskBytes } = await baseForEnvironment(env.image, 'microvm', {
      disksDir: disksDirOf(paths.images), rootless: env.rootless, ...(spec.diskSizeBytes !== undefined ? { diskSizeBytes: spec.diskSizeBytes } : {}),
    });
    const overlay = await createQcow2Overlay({ base, overlay: join(env.dir, 'disk.qcow2'), sizeBytes: diskBytes });
    const runDir = join(paths.runtime, 'vm', env.id.slice(0, 16));
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const files: MicrovmFiles = {
      kernel: kernel.kernel, ...(kernel.release ? { kernelRelease: kernel.release } : {}), initrd: initrd.path,
      base: base.path, baseBytes: base.sizeBytes, overlay: overlay.path, diskBytes: overlay.sizeBytes,
      accel: accel.accel, accelReason: accel.reason, network, forwards, runDir, ...(bridge ? { bridge } : {}),
    };
    writeJsonAtomic(join(env.dir, MICROVM_FILES), files, 0o600, false);
    if (network === 'user') writeJsonAtomic(join(env.dir, NETWORK_FILE), userNetState('qemu', spec.ports), 0o600, false);
    return { id: env.id, name: env.name, backend: this.name, dir: env.dir };
  }

  async start(h: Handle): Promise<void> {
    const rec = this.record(h);
    const f = readMicrovmFiles(h.dir);
    await checkHostPortsFree(f.forwards);
    await attachVmNetwork(this.store, rec);
    const attached = !rec.spec.detach;
    const tscKhz = hostTscKhz();
    const { mainRequest } = await import('./guest-requests.js');
    const cfg: VmMonitorConfig = {
      launch: microvmLaunch({
        files: f, memoryBytes: rec.spec.limits.memoryBytes ?? MICROVM_DEFAULT_MEMORY, cpus: rec.spec.limits.cpus ?? 1,
        hostname: rec.hostname, ...(tscKhz ? { tscKhz } : {}),
      }),
      stateDir: h.dir,
      logFile: join(h.dir, 'ctr.log'),
      consoleLog: join(h.dir, CONSOLE_LOG),
      logMaxBytes: DEFAULT_LOG_MAX_BYTES,
      logMaxFiles: DEFAULT_LOG_MAX_FILES,
      socketPath: monitorSocket(f),
      main: mainRequest(rec),
      attached,
      ...(attached ? { owner: { pid: process.pid, start: processStartTime(process.pid) ?? 0 } } : {}),
      bootTimeoutMs: f.accel === 'tcg' ? 180_000 : 60_000,
      ...(f.bridge ? { hostsFile: join(h.dir, VM_HOSTS_FILE) } : {}),
    };
    writeJsonAtomic(join(h.dir, MONITOR_CONFIG), cfg, 0o600, false);
    const err = openSync(join(h.dir, 'monitor.err'), 'a', 0o600);
    const mon = spawn(process.execPath, [monitorEntry(), h.dir], { detached: true, stdio: ['ignore', 'ignore', err] });
    closeSync(err);
    await new Promise<void>((res, rej) => {
      mon.once('spawn', res);
      mon.once('error', (e) => rej(new DriverError('spawn-failed', `cannot start the VM monitor: ${e.message}`)));
    });
    const monPid = mon.pid!;
    writeJsonAtomic(join(h.dir, MONITOR_PID), { pid: monPid, start: processStartTime(monPid) ?? 0 }, 0o600, false);
    mon.unref();
    const client = await VmClient.connect(monitorSocket(f), () => isProcessAlive(monPid)).catch(() => {
      // A VM that fails at once (a kernel panic) can end its monitor before we connect: its exit says why.
      const early = this.store.readExit(h.id)?.error;
      if (early) throw new DriverError('boot-failed', early);
      throw new DriverError('monitor-failed', `the VM monitor did not come up: ${this.monitorError(h) || 'no reason recorded'}`);
    });
    if (attached) {
      let booted = false;
      const offBooted = client.on((fr) => {
        if (fr.type === F.READY) booted = true;
      });
      const done = relay(client, { tty: rec.spec.tty, interactive: rec.spec.interactive, detachKeys: true, printErrors: () => booted });
      client.send(F.ATTACH, 1, Buffer.from(JSON.stringify({ stdin: rec.spec.interactive, ...terminalSize(rec.spec.tty) })));
      const first = await client.waitFor((fr) => (fr.type === F.READY || (fr.type === F.EXIT && fr.session === 1) ? fr : undefined));
      if (!first || first.type === F.EXIT) {
        const e = first ? decodeExit(first.payload) : undefined;
        await done.catch(() => undefined);
        throw new DriverError('boot-failed', e?.error ?? this.store.readExit(h.id)?.error ?? `the VM monitor went away: ${this.monitorError(h) || 'no reason recorded'}`);
      }
      this.attachedRuns.set(h.id, done.finally(() => {
        offBooted();
        client.close();
      }));
      return;
    }
    const first = await client.waitFor((fr) => (fr.session === 1 && (fr.type === F.STARTED || fr.type === F.EXIT) ? fr : undefined));
    client.close();
    if (!first) throw new DriverError('boot-failed', this.store.readExit(h.id)?.error ?? `the VM monitor went away: ${this.monitorError(h) || 'no reason recorded'}`);
    if (first.type === F.EXIT) {
      const e = decodeExit(first.payload);
      if (e.error) throw new DriverError('start-failed', e.error, { exitCode: e.exitCode === 126 || e.exitCode === 127 ? e.exitCode : 125 });
    }
  }

  private monitorError(h: Handle): string {
    try {
      return readFileSync(join(h.dir, 'monitor.err'), 'utf8').trim().split('\n').pop() ?? '';
    } catch {
      return '';
    }
  }

  private async connect(h: Handle, fix?: string): Promise<VmClient> {
    const pids = this.store.runningPids(h.id, h.name, fix);
    const f = readMicrovmFiles(h.dir);
    return VmClient.connect(monitorSocket(f), () => isProcessAlive(pids.monitor), 5_000).catch(() => {
      throw new StateError('not-running', `environment ${h.name} is not running`, { fix: fix ?? 'start a new one with "berth run"' });
    });
  }

  async exec(h: Handle, argv: string[], opts: ExecOptions): Promise<ExitResult> {
    const rec = this.record(h);
    // A paused guest would hold the exec until unpause: say so instead.
    if (this.store.readState(h.id)?.state === 'paused') {
      throw new StateError('paused', `environment ${h.name} is paused`, { fix: `unpause it first: berth unpause ${h.name}` });
    }
    const client = await this.connect(h, 'exec works only while the environment runs');
    const { execRequest } = await import('./guest-requests.js');
    if (opts.stdio === 'pipe') return captureSession(client, execRequest(rec, argv, opts), opts);
    return execSession(client, { ...execRequest(rec, argv, opts), ...terminalSize(opts.tty) },
      { tty: opts.tty, interactive: opts.interactive, detachKeys: false, printErrors: () => true });
  }

  async signal(h: Handle, sig: string): Promise<void> {
    const num = signalNumber(sig);
    const client = await this.connect(h);
    client.send(F.SIGNAL, 1, encodeU32(num));
    client.close();
  }

  private qmp(h: Handle): string {
    return qmpSocket(readMicrovmFiles(h.dir));
  }

  async stop(h: Handle, opts: StopOptions): Promise<ExitResult | undefined> {
    const pids = this.store.readPids(h.id);
    if (!pids || this.store.readExit(h.id) || !isProcessAlive(pids.child, pids.childStart)) return this.store.status(h.id).exit;
    if (this.store.readState(h.id)?.state === 'paused') {
      // A paused guest cannot act on the signal: let it run again first.
      await withQmp(this.qmp(h), (q) => q.execute('cont')).catch(() => undefined);
      this.store.markState(h.id, 'resumed');
    }
    try {
      // Clean: the command gets the signal; when it exits the monitor has the guest sync, unmount and power off.
      await this.signal(h, opts.signal ?? 'TERM');
    } catch { /* ended meanwhile */ }
    const done = await waitForExit(this.store, h, opts.timeoutMs);
    if (done) return this.released(h, done);
    // Past the grace period: QMP quit ends QEMU at once.
    const quit = await withQmp(this.qmp(h), (q) => q.execute('quit')).then(() => true, () => false);
    const after = quit ? await waitForExit(this.store, h, 10_000) : undefined;
    if (after) return this.released(h, after);
    await this.killAll(h);
    return this.released(h, (await waitForExit(this.store, h, 10_000)) ?? this.store.status(h.id).exit);
  }

  /** A stopped VM gives back its lease, tap and published ports (as a stopped container does). */
  private async released<T>(h: Handle, result: T): Promise<T> {
    await releaseVmNetwork(this.store, h.id);
    return result;
  }

  /** Every process of this VM: the monitor (argv names the state dir) and QEMU (argv names the overlay in it). */
  private async killAll(h: Handle): Promise<void> {
    const left = await killProcessesMentioning(h.dir);
    if (left.length > 0) throw new DriverError('kill-failed', `processes ${left.join(', ')} of ${h.name} survived SIGKILL`, { fix: 'kill them by hand' });
  }

  async remove(h: Handle, opts: { force: boolean }): Promise<void> {
    const st = this.store.status(h.id);
    if ((st.state === 'running' || st.state === 'paused') && !opts.force) {
      throw new StateError('running', `environment ${h.name} is running`, { fix: `stop it first, or use "berth rm -f ${h.name}"` });
    }
    this.store.markState(h.id, 'removing');
    await this.killAll(h);
    await releaseVmNetwork(this.store, h.id);
    try {
      rmSync(readMicrovmFiles(h.dir).runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch { /* never created */ }
    this.store.removeDir(h.id);
  }

  async wait(h: Handle): Promise<ExitResult> {
    const attached = this.attachedRuns.get(h.id);
    if (attached) {
      this.attachedRuns.delete(h.id);
      const res = await attached;
      if (res.detached) return res;
      return this.store.status(h.id).exit ?? res;
    }
    return (await waitForExit(this.store, h)) ?? { exitCode: 125 };
  }

  async inspect(h: Handle): Promise<Status> {
    return this.store.status(h.id);
  }

  /** For inspect: the accelerator and why, and QEMU's run state over QMP while it runs. */
  async machine(h: Handle): Promise<Record<string, unknown>> {
    const f = readMicrovmFiles(h.dir);
    const out: Record<string, unknown> = {
      accel: f.accel, accelReason: f.accelReason, kernel: f.kernel, kernelRelease: f.kernelRelease ?? 'unknown',
      overlay: f.overlay, base: f.base, diskBytes: f.diskBytes, network: f.network, forwards: f.forwards,
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

  async checkpoint(h: Handle, name: string): Promise<void> {
    this.store.runningPids(h.id, h.name, 'checkpoints are taken of a running environment');
    await saveCheckpoint(this.qmp(h), name);
  }

  async restore(h: Handle, name: string): Promise<void> {
    this.store.runningPids(h.id, h.name, 'restore works on the running environment the checkpoint was taken of');
    await loadCheckpoint(this.qmp(h), name);
  }

  async recover(dir: string): Promise<Handle> {
    const id = dir.split('/').pop()!;
    const rec = this.store.readRecord(id);
    if (!rec || !statSync(dir).isDirectory()) throw new StateError('no-such-env', `no environment recorded in ${dir}`);
    return { id: rec.id, name: rec.name, backend: this.name, dir };
  }
}

export function makeMicrovmDriver(store: EnvStore): Driver {
  return new MicrovmDriver(store);
}
