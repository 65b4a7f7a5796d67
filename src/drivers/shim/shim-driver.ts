/**
 * The lifecycle shared by backends whose command runs under the native shim's monitor
 * (chroot, container): state files, attached and detached starts, exec by joining the
 * command's namespaces, stop/kill/rm through the recorded pids. Subclasses say what is isolated.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type {
  DriverOps,
  EnvStats,
  ExecOptions,
  ExitResult,
  Handle,
  PreparedEnv,
  Status,
  StopOptions,
  TerminalSize,
} from '../driver.js';
import type { BackendName } from '../../core/spec.js';
import type { EnvRecord, EnvStore } from '../../core/env-store.js';
import { runExecHelper } from './exec-io.js';
import { stdinFifoPath } from '../../core/stdin-fifo.js';
import { shimExecArgv, shimRunArgv, rmtreeArgv, type ShimIsolation } from '../../host/shim-cmdline.js';
import { heldPorts } from '../../network/held-ports.js';
import { rootlessIdMaps, isMapped } from '../../host/id-maps.js';
import { shimPath } from '../../host/native-paths.js';
import { commandContext, type CommandContext } from '../common/command-context.js';
import { DriverError, StateError, SpecError } from '../../core/errors.js';
import { killAll, sendSignal, stopWithGrace, waitForExit } from '../common/monitor-control.js';
import { runToExit, statusFromExit, forwardSignals } from '../common/spawn-wait.js';
import { DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_FILES } from '../../core/cri-log.js';
import type { Duplex, Writable } from 'node:stream';
import { openShimStdin } from './shim-stdin.js';

import { isPlumbed } from '../../core/network-mode.js';
import { recoverHandle } from '../common/recover-handle.js';
import { unsupported } from '../common/unsupported.js';
import { processesInMountNs, type EnvProcess } from '../../host/ns-processes.js';
import { shortId } from '../../core/names.js';
import { autoRemoveArgv } from '../common/auto-remove-argv.js';
import { startFailed } from '../common/start-failed.js';
import { DEFAULT_TERMINAL, execWinsize, winsizePath, writeWinsize } from './shim-winsize.js';

/** Plumbed modes and -p need the cold network module (-p alone is refused by validate). */
const needsNetworkModule = (rec: EnvRecord): boolean =>
  isPlumbed(rec.spec.resolved.network) || rec.spec.ports.length > 0;

const networkModule = () => import('../../network/attach/network-attach.js');

export abstract class ShimDriver implements DriverOps {
  abstract readonly name: BackendName;
  private readonly children = new Map<string, ChildProcess>();
  private readonly detached = new Set<string>();

  constructor(protected readonly store: EnvStore) {}

  /** What the shim isolates for this environment (run and exec). */
  protected abstract isolation(rec: EnvRecord): ShimIsolation;
  /** Host resources the environment needs before it starts (cgroups); undone by release(). */
  protected async acquire(_rec: EnvRecord): Promise<void> {}
  protected async release(_rec: EnvRecord): Promise<void> {}

  protected record(h: Handle): EnvRecord {
    const rec = this.store.readRecord(h.id);
    if (!rec)
      throw new StateError('no-such-env', `no such environment: ${h.name}`, { fix: 'list them with "berth ps -a"' });
    return rec;
  }

  /** The command's user, environment and directory; as a normal user, the user must be mapped. */
  protected context(rec: EnvRecord, exec?: ExecOptions): CommandContext {
    const c = commandContext(rec, exec);
    if (rec.rootless) {
      const maps = rootlessIdMaps();
      if (!isMapped(maps.uid, c.user.uid) || !isMapped(maps.gid, c.user.gid)) {
        throw new SpecError(
          'unmapped-user',
          `user ${c.user.uid}:${c.user.gid} cannot exist in a rootless environment without subordinate ids`,
          {
            fix: 'install uidmap and add ranges for your user to /etc/subuid and /etc/subgid, or run as root',
          },
        );
      }
    }
    return c;
  }

  async create(env: PreparedEnv): Promise<Handle> {
    const { dir, spec } = env;
    for (const d of ['work', 'rootfs']) mkdirSync(join(dir, d), { mode: 0o700 });
    // The overlay's root directory takes the upper dir's mode: give it the image root's.
    mkdirSync(join(dir, 'upper'));
    chmodSync(join(dir, 'upper'), statSync(env.image.layers[0]!).mode & 0o7777);
    const hostname = spec.hostname ?? shortId(env.id);
    writeFileSync(join(dir, 'hostname'), `${hostname}\n`);
    writeFileSync(join(dir, 'hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n127.0.1.1\t${hostname}\n`);
    // chroot shares the host's network, so it shares its resolver configuration.
    if (existsSync('/etc/resolv.conf')) copyFileSync('/etc/resolv.conf', join(dir, 'resolv.conf'));
    else writeFileSync(join(dir, 'resolv.conf'), '');
    const rec = this.store.readRecord(env.id);
    if (rec && needsNetworkModule(rec)) await (await networkModule()).reserve(this.store, rec);
    return { id: env.id, name: env.name, backend: this.name, dir };
  }

  /** The backend's isolation with the network mode applied (host: no net namespace). */
  private isolationWithNetwork(rec: EnvRecord): ShimIsolation {
    const iso = this.isolation(rec);
    if (rec.spec.resolved.network.kind === 'host')
      return { ...iso, netNs: false, ...(rec.rootless && iso.sys === 'new-ro' ? { sys: 'bind-ro' as const } : {}) };
    return { ...iso, netNs: true };
  }

  private runArgv(rec: EnvRecord, dir: string, netSyncFd?: number): string[] {
    const spec = rec.spec;
    const { user, env, workdir } = this.context(rec);
    const maps = rec.rootless ? rootlessIdMaps() : { uid: [], gid: [] };
    return shimRunArgv({
      isolation: this.isolationWithNetwork(rec),
      ...(netSyncFd !== undefined ? { netSyncFd } : {}),
      holdPorts: heldPorts(spec.resolved.network, spec.ports),
      shim: shimPath(),
      stateDir: dir,
      ...(spec.tty && !spec.detach ? { notifyFd: 3 } : {}),
      // Detached with -i: stdin comes from whoever attaches (berth serve's attach with stdin).
      ...(spec.detach && spec.interactive ? { stdinFifo: stdinFifoPath(dir) } : {}),
      // Detached with -t: the terminal's size comes from whoever resizes it (berth serve's resize).
      ...(spec.detach && spec.tty ? { winsizeFile: winsizePath(dir) } : {}),
      // --rm with nobody waiting: the monitor has the environment removed when the command ends.
      ...(spec.autoRemove ? { exitHook: autoRemoveArgv(this.store.paths, rec.id) } : {}),
      logMaxBytes: DEFAULT_LOG_MAX_BYTES,
      logMaxFiles: DEFAULT_LOG_MAX_FILES,
      logFile: join(dir, 'ctr.log'),
      layers: rec.image.layers,
      upper: join(dir, 'upper'),
      work: join(dir, 'work'),
      rootfs: join(dir, 'rootfs'),
      rootless: rec.rootless,
      uidMaps: maps.uid,
      gidMaps: maps.gid,
      hostname: rec.hostname,
      env,
      workdir,
      user,
      binds: [
        { source: join(dir, 'hostname'), target: '/etc/hostname', readOnly: false },
        { source: join(dir, 'hosts'), target: '/etc/hosts', readOnly: false },
        { source: join(dir, 'resolv.conf'), target: '/etc/resolv.conf', readOnly: false },
        ...spec.mounts.map((m) => ({ source: m.source, target: m.target, readOnly: m.readOnly })),
      ],
      tty: spec.tty,
      interactive: spec.interactive,
      detach: spec.detach,
      command: rec.command.argv,
    });
  }

  async start(h: Handle): Promise<void> {
    const rec = this.record(h);
    await this.acquire(rec);
    const plumbed = isPlumbed(rec.spec.resolved.network);
    const tty = rec.spec.tty && !rec.spec.detach;
    // fd 3 is the detach-key notification of an attached -it session; the handshake comes next.
    const syncFd = plumbed ? (tty ? 4 : 3) : undefined;
    const [cmd, ...args] = this.runArgv(rec, h.dir, syncFd);
    if (rec.spec.detach && rec.spec.tty) writeWinsize(winsizePath(h.dir), DEFAULT_TERMINAL);
    const extra: 'pipe'[] = [...(tty ? ['pipe' as const] : []), ...(plumbed ? ['pipe' as const] : [])];
    // Loaded before the spawn: the child's pid waits in the socket until the handshake reads it.
    const net = plumbed ? await networkModule() : undefined;
    const plumb = (pid: number) => net!.attach(this.store, rec, pid, rec.rootless);
    if (!rec.spec.detach) {
      // Attached: the monitor writes to our stdout/stderr and the log; wait() collects it.
      const child = spawn(cmd!, args, { stdio: ['inherit', 'inherit', 'inherit', ...extra] });
      this.children.set(h.id, child);
      const stopForwarding = forwardSignals(child);
      if (tty) {
        // Ctrl-P Ctrl-Q: the shim stops using our terminal and says so on fd 3; let it run on.
        const notify = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
        notify.on('data', (d: Buffer) => {
          if (!d.toString().includes('detached')) return;
          this.detached.add(h.id);
          stopForwarding();
          notify.destroy();
          child.unref();
          child.emit('berth-detached');
        });
      }
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (e) =>
          reject(new DriverError('spawn-failed', `cannot start the native helper: ${e.message}`, { cause: e })),
        );
      });
      // A failed plumbing kills the monitor first, so only berth's own error line is printed.
      if (net && syncFd !== undefined)
        await net.netSyncHandshake(child.stdio[syncFd] as Duplex, plumb, () => child.kill('SIGKILL'));
      return;
    }
    const res = await runToExit(cmd!, args, extra.length, (fds) =>
      net && syncFd !== undefined ? net.netSyncHandshake(fds[syncFd - 3] as Duplex, plumb) : Promise.resolve(),
    );
    if (res.code !== 0) {
      const line = res.stderr.trim().split('\n').pop() ?? '';
      throw startFailed(
        line.replace(/^berth: /, '') || `the environment failed to start (exit ${res.code})`,
        res.code ?? 125,
      );
    }
  }

  async exec(h: Handle, argv: string[], opts: ExecOptions): Promise<ExitResult> {
    const rec = this.record(h);
    const pids = this.store.runningPids(h.id, h.name, 'exec works only while the environment runs');
    const { user, env, workdir } = this.context(rec, opts);
    // A terminal whose client is not ours (berth serve's exec -t): sized through a file of its own.
    const sized = opts.tty && opts.terminal ? execWinsize(h.dir, opts.terminal) : undefined;
    const [cmd, ...args] = shimExecArgv({
      isolation: this.isolationWithNetwork(rec),
      shim: shimPath(),
      pid: pids.child,
      rootless: rec.rootless,
      env,
      workdir,
      user,
      tty: opts.tty,
      ...(sized ? { winsizeFile: sized.path } : {}),
      interactive: opts.interactive || opts.stdio === 'pipe',
      command: argv,
    });
    try {
      return await runExecHelper(cmd!, args, opts, sized?.follow);
    } finally {
      sized?.remove();
    }
  }

  async signal(h: Handle, sig: string): Promise<void> {
    sendSignal(this.store, h, sig);
  }

  async openStdin(h: Handle): Promise<Writable> {
    return openShimStdin(h.dir, h.name);
  }

  /** A detached -t command's terminal: its monitor rereads the size file on SIGWINCH. */
  async resize(h: Handle, size: TerminalSize): Promise<void> {
    const rec = this.record(h);
    if (!rec.spec.tty || !rec.spec.detach)
      return unsupported(this.name, 'resize a terminal the caller of berth run owns');
    const pids = this.store.runningPids(h.id, h.name, 'resize works only while the environment runs');
    writeWinsize(winsizePath(h.dir), size);
    process.kill(pids.monitor, 'SIGWINCH');
  }

  async stop(h: Handle, opts: StopOptions): Promise<ExitResult | undefined> {
    const res = await stopWithGrace(this.store, h, opts);
    await this.releaseNetwork(h.id);
    return res;
  }

  /** Published ports, leases and user-network helpers go with the command (stop, rm, rollback). */
  private async releaseNetwork(id: string): Promise<void> {
    if (existsSync(join(this.store.dirOf(id), 'network.json'))) await (await networkModule()).release(this.store, id);
  }

  async remove(h: Handle, opts: { force: boolean }): Promise<void> {
    const rec = this.store.readRecord(h.id);
    const st = this.store.status(h.id);
    if ((st.state === 'running' || st.state === 'paused') && !opts.force) {
      throw new StateError('running', `environment ${h.name} is running`, {
        fix: `stop it first, or use "berth rm -f ${h.name}"`,
      });
    }
    this.store.markState(h.id, 'removing');
    await killAll(this.store, h);
    await this.releaseNetwork(h.id);
    if (rec) await this.release(rec);
    if (rec?.rootless && existsSync(h.dir)) {
      // Files written by mapped sub-ids belong to them: remove inside the same id mapping.
      const maps = rootlessIdMaps();
      const [cmd, ...args] = rmtreeArgv(shimPath(), h.dir, true, maps.uid, maps.gid);
      const res = await runToExit(cmd!, args);
      if (res.code !== 0) {
        throw new DriverError('rm-failed', `cannot remove ${h.dir}: ${res.stderr.trim()}`, {
          fix: 'remove it by hand as root',
        });
      }
    }
    this.store.removeDir(h.id);
  }

  async wait(h: Handle): Promise<ExitResult> {
    const child = this.children.get(h.id);
    if (child) {
      const res = await Promise.race([
        statusFromExit(child),
        new Promise<ExitResult>((resolve) =>
          child.once('berth-detached', () => resolve({ exitCode: 0, detached: true })),
        ),
      ]);
      if (res.detached) {
        this.children.delete(h.id);
        return res;
      }
      this.children.delete(h.id);
      // The monitor recorded the exact status (or a setup error) in exit.json.
      return this.store.status(h.id).exit ?? res;
    }
    const res = await waitForExit(this.store, h);
    return res ?? { exitCode: 125 };
  }

  /** CPU time, memory (PSS), I/O and network bytes of the environment's host processes. */
  async stats(h: Handle): Promise<EnvStats> {
    const { child } = this.store.runningPids(h.id, h.name);
    return (await import('./shim-stats.js')).shimStats(child);
  }

  /** Every host process in the mount namespace of the environment's command. */
  async processes(h: Handle): Promise<EnvProcess[]> {
    return processesInMountNs(this.store.runningPids(h.id, h.name).child);
  }

  async inspect(h: Handle): Promise<Status> {
    return this.store.status(h.id);
  }

  /** The container overrides these (the cgroup freezer); capabilities().pause says which. */
  pause(_h: Handle): Promise<void> {
    return unsupported(this.name, 'pause environments');
  }
  resume(_h: Handle): Promise<void> {
    return unsupported(this.name, 'pause environments');
  }
  checkpoint(_h: Handle, _name: string): Promise<void> {
    return unsupported(this.name, 'checkpoint environments');
  }
  restore(_h: Handle, _name: string): Promise<void> {
    return unsupported(this.name, 'restore checkpoints');
  }
  /** A template keeps the filesystem only: the caller commits the environment. */
  async saveTemplate(_h: Handle, _into: string, _live?: boolean): Promise<undefined> {
    return undefined;
  }
  /** No machine: the host's kernel. */
  async machine(_h: Handle): Promise<undefined> {
    return undefined;
  }

  async recover(dir: string): Promise<Handle> {
    return recoverHandle(this.store, dir, this.name);
  }
}
