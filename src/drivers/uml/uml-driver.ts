/**
 * uml backend: the image's files on a shared ext4 base disk plus a per-environment ubd COW
 * file, booted by a User-mode Linux kernel as the calling user, with berth's init as PID 1.
 * A detached VM monitor (src/drivers/shared/vm-monitor.ts) owns the kernel process; this
 * driver prepares the disk, starts the monitor and talks to it over its unix socket.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Capabilities, Driver, ExecOptions, ExitResult, Handle, PreparedEnv, Probe, Problem, Status, StopOptions } from '../driver.js';
import type { EnvSpec } from '../../core/spec.js';
import type { EnvRecord, EnvStore } from '../../core/env-store.js';
import type { StartRequest } from '../shared/guest-protocol.js';
import { FrameType as F, decodeExit, encodeU32 } from '../shared/guest-protocol.js';
import { captureSession } from '../shared/vm-capture.js';
import { VmClient, relay, execSession, terminalSize } from '../shared/vm-client.js';
import { MONITOR_CONFIG, MONITOR_PID, CONSOLE_LOG, type VmMonitorConfig } from '../shared/vm-monitor-config.js';
import { monitorEntry } from '../shared/vm-monitor-entry.js';
import { killProcessesMentioning } from '../shared/vm-processes.js';
import { signalNumber, waitForExit } from '../shared/monitor-control.js';
import { resolveUser } from '../../core/user-spec.js';
import { commandEnv } from '../../core/env-vars.js';
import { writeJsonAtomic } from '../../core/atomic-write.js';
import { isProcessAlive, processStartTime } from '../../core/process-identity.js';
import { DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_FILES } from '../../core/cri-log.js';
import { DriverError, StateError } from '../../core/errors.js';
import { umlArgv } from './uml-cmdline.js';
import { findSlirp } from './slirp-helper.js';
import { userNetState } from '../shared/user-net-guest.js';
import { NETWORK_FILE } from '../../network/network-state.js';
import { attachVmNetwork, releaseVmNetwork, withVmBridge, VM_HOSTS_FILE, type VmBridge } from '../shared/vm-network.js';
import { checkHostPortsFree } from '../shared/host-ports.js';
import { resolveUmlKernel } from './uml-kernel.js';
import { umlInitramfs } from './uml-initramfs.js';
import { baseForEnvironment, disksDirOf } from '../../disks/index.js';
import { probeUml } from './uml-probe.js';
import { UML_CAPABILITIES, UML_DEFAULT_MEMORY, validateUml } from './uml-capabilities.js';

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
}

function readImageFile(layers: string[], path: string): string {
  for (const l of layers) {
    try {
      return readFileSync(join(l, path), 'utf8');
    } catch { /* next layer */ }
  }
  return '';
}

export class UmlDriver implements Driver {
  readonly name = 'uml' as const;
  private readonly attachedRuns = new Map<string, Promise<ExitResult>>();

  constructor(private readonly store: EnvStore) {}

  probe(): Promise<Probe> {
    return probeUml(this.store.paths);
  }

  capabilities(): Capabilities {
    return UML_CAPABILITIES;
  }

  validate(spec: EnvSpec, rootless: boolean): Problem[] {
    return validateUml(spec, rootless);
  }

  private files(h: { id: string; dir: string }): UmlFiles {
    return JSON.parse(readFileSync(join(h.dir, 'uml.json'), 'utf8')) as UmlFiles;
  }

  private record(h: Handle): EnvRecord {
    const rec = this.store.readRecord(h.id);
    if (!rec) throw new StateError('no-such-env', `no such environment: ${h.name}`, { fix: 'list them with "berth ps -a"' });
    return rec;
  }

  async create(env: PreparedEnv): Promise<Handle> {
    // Cheap refusals first: nothing is built for a run that cannot start.
    const slirp = env.spec.network === 'user' ? await this.prepareSlirp(env) : undefined;
    return withVmBridge(this.store, env, (bridge) => this.build(env, slirp, bridge));
  }

  private async build(env: PreparedEnv, slirp: string | undefined, bridge: VmBridge | undefined): Promise<Handle> {
    const kernel = await resolveUmlKernel(this.store.paths, env.spec.kernel);
    const runDir = join(this.store.paths.runtime, 'vm', env.id.slice(0, 16));
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    // A COW file is the size of its base: --disk-size asks for a base of exactly that size.
    const [{ base }, initrd] = await Promise.all([
      baseForEnvironment(env.image, 'uml', {
        disksDir: disksDirOf(this.store.paths.images), rootless: env.rootless,
        ...(env.spec.diskSizeBytes !== undefined ? { diskSizeBytes: env.spec.diskSizeBytes } : {}),
      }),
      umlInitramfs(kernel),
    ]);
    const files: UmlFiles = {
      kernel: kernel.kernel, base: base.path, initrd, cow: join(env.dir, 'disk.cow'), runDir, umid: `berth-${env.id.slice(0, 12)}`,
      ...(slirp ? { slirp } : {}),
      ...(kernel.modulesDir ? { modules: kernel.modulesDir } : {}),
      ...(bridge ? { bridge } : {}),
    };
    writeJsonAtomic(join(env.dir, 'uml.json'), files, 0o600, false);
    if (slirp) writeJsonAtomic(join(env.dir, NETWORK_FILE), userNetState('slirp', env.spec.ports), 0o600, false);
    return { id: env.id, name: env.name, backend: this.name, dir: env.dir };
  }

  /** `--network user`: the slirp helper; `-p` ports must be free now (the monitor binds them). */
  private async prepareSlirp(env: PreparedEnv): Promise<string> {
    const helper = findSlirp();
    if (!helper) throw new DriverError('no-slirp', '--network user on the uml backend needs slirp, which is not installed', { fix: 'install it (apt-get install slirp), or drop --network user' });
    await checkHostPortsFree(env.spec.ports.map((p) => ({ proto: p.protocol, hostAddr: p.hostIp ?? '0.0.0.0', hostPort: p.hostPort })));
    return helper;
  }

  private mainRequest(rec: EnvRecord): StartRequest {
    const spec = rec.spec;
    const layers = rec.image.layers;
    const user = resolveUser(spec.user ?? rec.image.config.user, readImageFile(layers, 'etc/passwd'), readImageFile(layers, 'etc/group'));
    const env = commandEnv({ image: rec.image.config.env, user: spec.env, hostname: rec.hostname, home: user.home, tty: spec.tty });
    const argv = spec.command.length > 0 ? spec.command : [...rec.image.config.entrypoint, ...rec.image.config.cmd];
    return {
      argv, env: Object.entries(env).map(([k, v]) => `${k}=${v}`), cwd: spec.workdir ?? (rec.image.config.workdir || '/'),
      uid: user.uid, gid: user.gid, groups: user.groups, tty: spec.tty, stdin: spec.interactive,
      // -v: the guest mounts the host directory through hostfs (files are reached as the kernel's host user).
      ...(spec.mounts.length > 0 ? { mounts: spec.mounts.map((m) => ({ type: 'hostfs', source: m.source, target: m.target, readOnly: m.readOnly })) } : {}),
    };
  }

  private socketPath(f: UmlFiles): string {
    return join(f.runDir, 'monitor.sock');
  }

  async start(h: Handle): Promise<void> {
    const rec = this.record(h);
    const f = this.files(h);
    await attachVmNetwork(this.store, rec);
    const attached = !rec.spec.detach;
    const cfg: VmMonitorConfig = {
      launch: {
        argv: umlArgv({
          kernel: f.kernel, memoryBytes: rec.spec.limits.memoryBytes ?? UML_DEFAULT_MEMORY, umid: f.umid, umlDir: f.runDir,
          cow: f.cow, base: f.base, initrd: f.initrd, ctlFd: 3, consoleFd: 4, hostname: rec.hostname,
          ...(f.slirp ? { slirp: f.slirp } : {}),
          ...(f.modules ? { modules: f.modules } : {}),
          ...(f.bridge ? { tap: { name: f.bridge.tap, mac: f.bridge.mac, guestArg: f.bridge.guestArg } } : {}),
        }),
        ctl: { kind: 'fd', fd: 3 },
        consoleFd: 4,
        what: 'the uml kernel',
      },
      stateDir: h.dir,
      logFile: join(h.dir, 'ctr.log'),
      consoleLog: join(h.dir, CONSOLE_LOG),
      logMaxBytes: DEFAULT_LOG_MAX_BYTES,
      logMaxFiles: DEFAULT_LOG_MAX_FILES,
      socketPath: this.socketPath(f),
      main: this.mainRequest(rec),
      attached,
      ...(attached ? { owner: { pid: process.pid, start: processStartTime(process.pid) ?? 0 } } : {}),
      bootTimeoutMs: 120_000,
      ...(f.bridge ? { hostsFile: join(h.dir, VM_HOSTS_FILE) } : {}),
      ...(rec.spec.ports.length > 0 ? { relayedPorts: rec.spec.ports.map((p) => ({ hostAddr: p.hostIp ?? '0.0.0.0', hostPort: p.hostPort, guestPort: p.guestPort })) } : {}),
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
    const client = await VmClient.connect(this.socketPath(f), () => isProcessAlive(monPid)).catch(() => {
      // A VM that fails at once (a kernel panic) can end its monitor before we connect: its exit says why.
      const early = this.store.readExit(h.id)?.error;
      if (early) throw new DriverError('boot-failed', early);
      throw new DriverError('monitor-failed', `the VM monitor did not come up: ${this.monitorError(h) || 'no reason recorded'}`);
    });
    if (attached) {
      let booted = false;
      // Synchronously, before the relay sees the frames that follow READY in the same chunk.
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
    const f = this.files(h);
    return VmClient.connect(this.socketPath(f), () => isProcessAlive(pids.monitor), 5_000).catch(() => {
      throw new StateError('not-running', `environment ${h.name} is not running`, { fix: fix ?? 'start a new one with "berth run"' });
    });
  }

  async exec(h: Handle, argv: string[], opts: ExecOptions): Promise<ExitResult> {
    const rec = this.record(h);
    const client = await this.connect(h, 'exec works only while the environment runs');
    const layers = rec.image.layers;
    const user = resolveUser(opts.user ?? rec.spec.user ?? rec.image.config.user, readImageFile(layers, 'etc/passwd'), readImageFile(layers, 'etc/group'));
    const env = commandEnv({ image: rec.image.config.env, user: { ...rec.spec.env, ...opts.env }, hostname: rec.hostname, home: user.home, tty: opts.tty });
    const req = {
      argv, env: Object.entries(env).map(([k, v]) => `${k}=${v}`), cwd: opts.workdir ?? rec.spec.workdir ?? (rec.image.config.workdir || '/'),
      uid: user.uid, gid: user.gid, groups: user.groups, tty: opts.tty, stdin: opts.interactive,
    };
    if (opts.stdio === 'pipe') return captureSession(client, req, opts);
    return execSession(client, { ...req, ...terminalSize(opts.tty) }, { tty: opts.tty, interactive: opts.interactive, detachKeys: false, printErrors: () => true });
  }

  async signal(h: Handle, sig: string): Promise<void> {
    const num = signalNumber(sig);
    const client = await this.connect(h);
    client.send(F.SIGNAL, 1, encodeU32(num));
    client.close();
  }

  async stop(h: Handle, opts: StopOptions): Promise<ExitResult | undefined> {
    const pids = this.store.readPids(h.id);
    if (!pids || this.store.readExit(h.id) || !isProcessAlive(pids.child, pids.childStart)) return this.store.status(h.id).exit;
    if (this.store.readState(h.id)?.state === 'paused') {
      // A paused guest cannot act on the signal: let it run again first.
      await this.mconsole(h, 'go').catch(() => undefined);
      this.store.markState(h.id, 'resumed');
    }
    try {
      await this.signal(h, opts.signal ?? 'TERM');
    } catch { /* ended meanwhile */ }
    const done = await waitForExit(this.store, h, opts.timeoutMs);
    if (done) return this.released(h, done);
    // Past the grace period: halt the guest kernel through its management console.
    const f = this.files(h);
    const halted = await execa('uml_mconsole', [join(f.runDir, f.umid, 'mconsole'), 'halt'], { reject: false, timeout: 5_000 }).catch(() => undefined);
    if (!halted || halted.exitCode !== 0) await this.killAll(h);
    return this.released(h, (await waitForExit(this.store, h, 10_000)) ?? this.store.status(h.id).exit);
  }

  /** A stopped VM gives back its lease, tap and published ports (as a stopped container does). */
  private async released<T>(h: Handle, result: T): Promise<T> {
    await releaseVmNetwork(this.store, h.id);
    return result;
  }

  /** Every process of this VM (monitor, kernel, the kernel's userspace processes). */
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
      // Retried: the kernel's last processes may still write their umid files while we remove.
      rmSync(this.files(h).runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
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

  private async mconsole(h: Handle, cmd: 'stop' | 'go'): Promise<void> {
    const f = this.files(h);
    const r = await execa('uml_mconsole', [join(f.runDir, f.umid, 'mconsole'), cmd], { reject: false, timeout: 10_000 }).catch((e: Error) => ({ exitCode: 1, stdout: '', stderr: e.message }));
    if (r.exitCode !== 0 || /ERR/.test(String(r.stdout))) {
      throw new DriverError('mconsole-failed', `uml_mconsole ${cmd} failed: ${String(r.stderr || r.stdout).trim()}`, { fix: 'install uml-utilities' });
    }
  }

  pause(h: Handle): Promise<void> {
    return this.mconsole(h, 'stop');
  }

  resume(h: Handle): Promise<void> {
    return this.mconsole(h, 'go');
  }

  async recover(dir: string): Promise<Handle> {
    const id = dir.split('/').pop()!;
    const rec = this.store.readRecord(id);
    if (!rec || !statSync(dir).isDirectory()) throw new StateError('no-such-env', `no environment recorded in ${dir}`);
    return { id: rec.id, name: rec.name, backend: this.name, dir };
  }
}

export function makeUmlDriver(store: EnvStore): Driver {
  return new UmlDriver(store);
}


