/**
 * What the two VM backends (uml, microvm) share: a detached VM monitor (vm-monitor.ts) owns the
 * VM process and serves a unix socket; this base starts the monitor, attaches to it or waits for
 * the command to start, runs execs and signals through it, stops with a grace period and then the
 * backend's own halt, kills every process of the VM in a safe order (vm-processes.ts), and gives
 * back a bridge network's lease and tap on stop and rm. A backend supplies how its VM is launched
 * (VmLaunch), its sockets and its halt/resume.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DriverOps, Handle, PreparedEnv, Status } from '../driver.js';
import { vmRunDir } from './vm-run-dir.js';
import type { EnvStats, ExecOptions, ExitResult, StopOptions, TerminalSize } from '../driver.js';
import type { Writable } from 'node:stream';
import { vmStdin } from './vm-stdin.js';
import type { EnvProcess } from '../../host/ns-processes.js';
import { GUEST_PS_ARGV, parseGuestPs } from './guest-ps.js';
import { vmStats } from './vm-stats.js';
import { MiB } from '../../core/resolved-spec.js';
import { guestMemoryMiB } from './guest-memory.js';
import type { EnvRecord, EnvStore } from '../../core/env-store.js';
import type { StartRequest } from './guest-protocol.js';
import type { VmLaunch } from './vm-launch.js';
import { FrameType as F, decodeExit, encodeResize, encodeU32 } from './guest-protocol.js';
import { VmClient, relay, execSession, terminalSize } from './vm-client.js';
import { captureSession } from './vm-capture.js';
import { MONITOR_CONFIG, MONITOR_PID, CONSOLE_LOG, type VmMonitorConfig } from './vm-monitor-config.js';
import { monitorEntry } from './vm-monitor-entry.js';
import { chooseVmMonitor, parseVmMonitorSetting } from './vm-monitor-choice.js';
import { encodeMonitorFlat, MONITOR_FLAT_CONFIG } from './vm-monitor-flat.js';
import { findNative } from '../../host/native-paths.js';
import { killProcessesMentioning } from './vm-processes.js';
import { signalNumber, waitForExit } from '../common/monitor-control.js';
import { attachVmNetwork, releaseVmNetwork, VM_HOSTS_FILE } from './vm-network.js';
import { writeFileAtomic, writeJsonAtomic } from '../../core/atomic-write.js';
import { isProcessAlive, processStartTime } from '../../core/process-identity.js';
import { DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_FILES } from '../../core/cri-log.js';
import { DriverError, StateError } from '../../core/errors.js';
import { recoverHandle } from '../common/recover-handle.js';
import { unsupported } from '../common/unsupported.js';
import type { TemplateMachine } from '../../templates/template-record.js';
import { autoRemoveArgv } from '../common/auto-remove-argv.js';
import { heldPorts } from '../../network/held-ports.js';
import { startFailed } from '../common/start-failed.js';

/** What a backend tells the monitor beyond the common part. */
export interface VmStartPlan {
  launch: VmLaunch;
  main: StartRequest;
  bootTimeoutMs: number;
  /** The environment is on a bridge network: keep the guest's /etc/hosts in step with its peers. */
  bridged: boolean;
  relayedPorts?: VmMonitorConfig['relayedPorts'];
  /** Template build and clone start (templates: docs/templates.md). */
  holdAfterExit?: boolean;
  identity?: VmMonitorConfig['identity'];
  /** uml: the directory of the bulk channel (ADR 0053). */
  bulkDir?: string;
  /** microvm: the bulk channel's disk file (ADR 0084). */
  bulkDisk?: string;
  /** A bridge network's tap is made owned by this identity, which opens it (root's uml kernel, ADR 0046). */
  tapOwner?: { uid: number; gid: number };
  /**
   * Run beside the monitor's start, before the guest is waited for (a microvm clone whose
   * template keeps its RAM in a file: the deferred state load, ADR 0066). Given "is the monitor alive".
   */
  afterLaunch?: (alive: () => boolean) => Promise<void>;
}

export abstract class VmDriver implements DriverOps {
  abstract readonly name: 'uml' | 'microvm';
  private readonly attachedRuns = new Map<string, Promise<ExitResult>>();

  constructor(protected readonly store: EnvStore) {}

  abstract create(env: PreparedEnv): Promise<Handle>;
  /** Everything the monitor needs to boot this environment (host ports checked by now). */
  protected abstract startPlan(h: Handle, rec: EnvRecord): Promise<VmStartPlan>;
  protected abstract monitorSocket(h: Handle): string;
  protected abstract execRequest(rec: EnvRecord, argv: string[], opts: ExecOptions): StartRequest;
  /** Past the grace period: end the VM through its own management channel; false if that failed. */
  protected abstract halt(h: Handle): Promise<boolean>;
  abstract pause(h: Handle): Promise<void>;
  abstract resume(h: Handle): Promise<void>;

  protected record(h: Handle): EnvRecord {
    const rec = this.store.readRecord(h.id);
    if (!rec)
      throw new StateError('no-such-env', `no such environment: ${h.name}`, { fix: 'list them with "berth ps -a"' });
    return rec;
  }

  async start(h: Handle): Promise<void> {
    const rec = this.record(h);
    const plan = await this.startPlan(h, rec);
    await attachVmNetwork(this.store, rec, plan.tapOwner);
    const attached = !rec.spec.detach;
    const socketPath = this.monitorSocket(h);
    const held = heldPorts(rec.spec.resolved.network, rec.spec.ports);
    const cfg: VmMonitorConfig = {
      launch: plan.launch,
      stateDir: h.dir,
      logFile: join(h.dir, 'ctr.log'),
      consoleLog: join(h.dir, CONSOLE_LOG),
      logMaxBytes: DEFAULT_LOG_MAX_BYTES,
      logMaxFiles: DEFAULT_LOG_MAX_FILES,
      socketPath,
      main: plan.main,
      attached,
      ...(attached ? { owner: { pid: process.pid, start: processStartTime(process.pid) ?? 0 } } : {}),
      bootTimeoutMs: plan.bootTimeoutMs,
      ...(rec.spec.autoRemove ? { exitHook: autoRemoveArgv(this.store.paths, h.id) } : {}),
      ...(plan.bridged ? { hostsFile: join(h.dir, VM_HOSTS_FILE) } : {}),
      ...(plan.relayedPorts?.length ? { relayedPorts: plan.relayedPorts } : {}),
      ...(held.length ? { holdPorts: held } : {}),
      ...(plan.bulkDir ? { bulkDir: plan.bulkDir } : {}),
      ...(plan.bulkDisk ? { bulkDisk: plan.bulkDisk } : {}),
      ...(plan.holdAfterExit ? { holdAfterExit: true } : {}),
      ...(plan.identity ? { identity: plan.identity } : {}),
    };
    writeJsonAtomic(join(h.dir, MONITOR_CONFIG), cfg, 0o600, false);
    const vmmon = findNative('berth-vmmon');
    const choice = chooseVmMonitor(parseVmMonitorSetting(process.env), vmmon);
    if (choice.kind === 'native')
      writeFileAtomic(join(h.dir, MONITOR_FLAT_CONFIG), encodeMonitorFlat(cfg), 0o600, false);
    else rmSync(join(h.dir, MONITOR_FLAT_CONFIG), { force: true });
    const argv = choice.kind === 'native' && vmmon ? [vmmon, h.dir] : [process.execPath, monitorEntry(), h.dir];
    const err = openSync(join(h.dir, 'monitor.err'), 'a', 0o600);
    const mon = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'ignore', err] });
    closeSync(err);
    await new Promise<void>((res, rej) => {
      mon.once('spawn', res);
      mon.once('error', (e) => rej(new DriverError('spawn-failed', `cannot start the VM monitor: ${e.message}`)));
    });
    const monPid = mon.pid!;
    writeJsonAtomic(join(h.dir, MONITOR_PID), { pid: monPid, start: processStartTime(monPid) ?? 0 }, 0o600, false);
    mon.unref();
    // Its failure is the boot's: the monitor then ends at its boot timeout (or the QEMU exit).
    const launched = plan.afterLaunch?.(() => isProcessAlive(monPid));
    launched?.catch(() => undefined);
    const client = await VmClient.connect(socketPath, () => isProcessAlive(monPid)).catch(() => {
      // A VM that fails at once (a kernel panic) can end its monitor before we connect: its exit says why.
      const early = this.store.readExit(h.id)?.error;
      if (early) throw new DriverError('boot-failed', early);
      throw new DriverError(
        'monitor-failed',
        `the VM monitor did not come up: ${this.monitorError(h) || 'no reason recorded'}`,
      );
    });
    const wentAway = () => `the VM monitor went away: ${this.monitorError(h) || 'no reason recorded'}`;
    if (launched) {
      try {
        await launched;
      } catch (e) {
        client.close();
        await this.halt(h).catch(() => false);
        throw e;
      }
    }
    if (attached) {
      let booted = false;
      // Synchronously, before the relay sees the frames that follow READY in the same chunk.
      const offBooted = client.on((fr) => {
        if (fr.type === F.READY) booted = true;
      });
      const done = relay(client, {
        tty: rec.spec.tty,
        interactive: rec.spec.interactive,
        detachKeys: true,
        printErrors: () => booted,
      });
      client.send(
        F.ATTACH,
        1,
        Buffer.from(JSON.stringify({ stdin: rec.spec.interactive, ...terminalSize(rec.spec.tty) })),
      );
      const first = await client.waitFor((fr) =>
        fr.type === F.READY || (fr.type === F.EXIT && fr.session === 1) ? fr : undefined,
      );
      if (!first || first.type === F.EXIT) {
        const e = first ? decodeExit(first.payload) : undefined;
        await done.catch(() => undefined);
        throw new DriverError('boot-failed', e?.error ?? this.store.readExit(h.id)?.error ?? wentAway());
      }
      this.attachedRuns.set(
        h.id,
        done.finally(() => {
          offBooted();
          client.close();
        }),
      );
      return;
    }
    const first = await client.waitFor((fr) =>
      fr.session === 1 && (fr.type === F.STARTED || fr.type === F.EXIT) ? fr : undefined,
    );
    client.close();
    if (!first) throw new DriverError('boot-failed', this.store.readExit(h.id)?.error ?? wentAway());
    if (first.type === F.EXIT) {
      const e = decodeExit(first.payload);
      if (e.error) throw startFailed(e.error, e.exitCode);
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
    return VmClient.connect(this.monitorSocket(h), () => isProcessAlive(pids.monitor), 5_000).catch(() => {
      throw new StateError('not-running', `environment ${h.name} is not running`, {
        fix: fix ?? 'start a new one with "berth run"',
      });
    });
  }

  async exec(h: Handle, argv: string[], opts: ExecOptions): Promise<ExitResult> {
    const rec = this.record(h);
    // A paused guest would hold the exec until unpause: say so instead.
    if (this.store.readState(h.id)?.state === 'paused') {
      throw new StateError('paused', `environment ${h.name} is paused`, {
        fix: `unpause it first: berth unpause ${h.name}`,
      });
    }
    // Before connecting: a bad request (an unknown user) must not leave a connection holding the CLI open.
    const req = this.execRequest(rec, argv, opts);
    const client = await this.connect(h, 'exec works only while the environment runs');
    if (opts.stdio === 'pipe') return captureSession(client, req, opts);
    return execSession(
      client,
      { ...req, ...terminalSize(opts.tty) },
      { tty: opts.tty, interactive: opts.interactive, detachKeys: false, printErrors: () => true, endOnSignal: true },
    );
  }

  async openStdin(h: Handle): Promise<Writable> {
    const rec = this.record(h);
    return vmStdin(await this.connect(h, 'attach works only while the environment runs'), rec.spec.tty);
  }

  async resize(h: Handle, size: TerminalSize): Promise<void> {
    const client = await this.connect(h);
    client.send(F.RESIZE, 1, encodeResize(size.rows, size.cols));
    client.close();
  }

  /** After a restore: the monitor ends the execs the rewound guest no longer knows. */
  protected async tellRestored(h: Handle): Promise<void> {
    const client = await this.connect(h);
    client.send(F.RESTORED, 0);
    client.close();
  }

  async signal(h: Handle, sig: string): Promise<void> {
    const num = signalNumber(sig);
    const client = await this.connect(h);
    client.send(F.SIGNAL, 1, encodeU32(num));
    client.close();
  }

  async stop(h: Handle, opts: StopOptions): Promise<ExitResult | undefined> {
    const pids = this.store.readPids(h.id);
    if (!pids || this.store.readExit(h.id) || !isProcessAlive(pids.child, pids.childStart))
      return this.released(h, this.store.status(h.id).exit);
    if (this.store.readState(h.id)?.state === 'paused') {
      // A paused guest cannot act on the signal: let it run again first.
      await this.resume(h).catch(() => undefined);
      this.store.markState(h.id, 'resumed');
    }
    try {
      // Clean: the command gets the signal; when it exits the monitor has the guest sync, unmount and power off.
      await this.signal(h, opts.signal ?? 'TERM');
    } catch {
      /* ended meanwhile */
    }
    const done = await waitForExit(this.store, h, opts.timeoutMs);
    if (done) return this.released(h, done);
    const after = (await this.halt(h)) ? await waitForExit(this.store, h, 10_000) : undefined;
    if (after) return this.released(h, after);
    await this.killAll(h);
    return this.released(h, (await waitForExit(this.store, h, 10_000)) ?? this.store.status(h.id).exit);
  }

  /** A stopped VM gives back its lease, tap and published ports (as a stopped container does). */
  private async released<T>(h: Handle, result: T): Promise<T> {
    await releaseVmNetwork(this.store, h.id);
    return result;
  }

  /** Every process of this VM: the monitor (argv names the state dir), the VM process and its children. */
  private async killAll(h: Handle): Promise<void> {
    const left = await killProcessesMentioning(h.dir);
    if (left.length > 0)
      throw new DriverError('kill-failed', `processes ${left.join(', ')} of ${h.name} survived SIGKILL`, {
        fix: 'kill them by hand',
      });
  }

  async remove(h: Handle, opts: { force: boolean }): Promise<void> {
    const st = this.store.status(h.id);
    if ((st.state === 'running' || st.state === 'paused') && !opts.force) {
      throw new StateError('running', `environment ${h.name} is running`, {
        fix: `stop it first, or use "berth rm -f ${h.name}"`,
      });
    }
    this.store.markState(h.id, 'removing');
    await this.killAll(h);
    await releaseVmNetwork(this.store, h.id);
    // From the id, not the files record: a create killed before it wrote that record made the dir.
    // Retried: a uml kernel's last processes may still write their umid files while we remove.
    rmSync(vmRunDir(this.store.paths, h.id), { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
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

  /** Host-side numbers of the VM's processes; the limit is the guest's RAM. */
  async stats(h: Handle): Promise<EnvStats> {
    const { monitor } = this.store.runningPids(h.id, h.name);
    return vmStats(h.dir, monitor, guestMemoryMiB(this.record(h).spec) * MiB);
  }

  /** The guest's own processes, listed inside it (through exec), with its users. */
  async processes(h: Handle): Promise<EnvProcess[]> {
    const r = await this.exec(h, GUEST_PS_ARGV, {
      tty: false,
      interactive: false,
      env: {},
      user: '0',
      stdio: 'pipe',
      timeoutMs: 30_000,
    });
    if (r.exitCode !== 0) {
      throw new DriverError(
        'top-failed',
        `cannot list the processes in ${h.name}: ${(r.stderr?.toString() ?? '').trim().split('\n')[0] || `exit ${r.exitCode}`}`,
        { fix: 'the image needs sh, head and cat' },
      );
    }
    return parseGuestPs(r.stdout?.toString() ?? '');
  }

  async inspect(h: Handle): Promise<Status> {
    return this.store.status(h.id);
  }

  async recover(dir: string): Promise<Handle> {
    return recoverHandle(this.store, dir, this.name);
  }

  /** microvm overrides these (QMP savevm/loadvm); capabilities().checkpoint says which. */
  checkpoint(_h: Handle, _name: string): Promise<void> {
    return unsupported(this.name, 'checkpoint environments');
  }
  restore(_h: Handle, _name: string): Promise<void> {
    return unsupported(this.name, 'restore checkpoints');
  }
  /** microvm overrides it (QMP migrate to a file); uml has no way to save a running kernel. */
  saveTemplate(_h: Handle, _into: string, _live?: boolean): Promise<TemplateMachine | undefined> {
    return unsupported(this.name, 'make templates');
  }
  /** Machine facts for inspect: microvm's accelerator and QMP state; none by default. */
  async machine(_h: Handle): Promise<Record<string, unknown> | undefined> {
    return undefined;
  }
}
