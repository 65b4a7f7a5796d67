/**
 * The lifecycle shared by backends whose command runs under the native shim's monitor
 * (chroot, container): state files, attached and detached starts, exec by joining the
 * command's namespaces, stop/kill/rm through the recorded pids. Subclasses say what is isolated.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Capabilities, Driver, ExecOptions, ExitResult, Handle, PreparedEnv, Probe, Problem, Status, StopOptions } from '../driver.js';
import type { BackendName, EnvSpec } from '../../core/spec.js';
import type { EnvRecord, EnvStore } from '../../core/env-store.js';
import { runExecHelper } from './exec-io.js';
import { shimExecArgv, shimRunArgv, rmtreeArgv, type ShimIsolation } from './shim-cmdline.js';
import { rootlessIdMaps, isMapped } from '../../host/id-maps.js';
import { shimPath } from '../../host/native-paths.js';
import { resolveUser, type ResolvedUser } from '../../core/user-spec.js';
import { commandEnv } from '../../core/env-vars.js';
import { DriverError, StateError, SpecError } from '../../core/errors.js';
import { killAll, sendSignal, stopWithGrace, waitForExit } from './monitor-control.js';
import { runToExit, statusFromExit, forwardSignals } from './spawn-wait.js';
import { DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_FILES } from '../../core/cri-log.js';

function readImageFile(layers: string[], path: string): string {
  for (const l of layers) {
    try {
      return readFileSync(join(l, path), 'utf8');
    } catch { /* next layer */ }
  }
  return '';
}

export abstract class ShimDriver implements Driver {
  abstract readonly name: BackendName;
  private readonly children = new Map<string, ChildProcess>();
  private readonly detached = new Set<string>();

  constructor(protected readonly store: EnvStore) {}

  abstract probe(): Promise<Probe>;
  abstract capabilities(): Capabilities;
  abstract validate(spec: EnvSpec, rootless: boolean): Problem[];
  /** What the shim isolates for this environment (run and exec). */
  protected abstract isolation(rec: EnvRecord): ShimIsolation;
  /** Host resources the environment needs before it starts (cgroups); undone by release(). */
  protected async acquire(_rec: EnvRecord): Promise<void> {}
  protected async release(_rec: EnvRecord): Promise<void> {}

  protected record(h: Handle): EnvRecord {
    const rec = this.store.readRecord(h.id);
    if (!rec) throw new StateError('no-such-env', `no such environment: ${h.name}`, { fix: 'list them with "berth ps -a"' });
    return rec;
  }

  protected user(rec: EnvRecord, spec: string | undefined): ResolvedUser {
    const layers = rec.image.layers;
    const user = resolveUser(spec ?? rec.image.config.user, readImageFile(layers, 'etc/passwd'), readImageFile(layers, 'etc/group'));
    if (rec.rootless) {
      const maps = rootlessIdMaps();
      if (!isMapped(maps.uid, user.uid) || !isMapped(maps.gid, user.gid)) {
        throw new SpecError('unmapped-user', `user ${user.uid}:${user.gid} cannot exist in a rootless environment without subordinate ids`, {
          fix: 'install uidmap and add ranges for your user to /etc/subuid and /etc/subgid, or run as root',
        });
      }
    }
    return user;
  }

  async create(env: PreparedEnv): Promise<Handle> {
    const { dir, spec } = env;
    for (const d of ['work', 'rootfs']) mkdirSync(join(dir, d), { mode: 0o700 });
    // The overlay's root directory takes the upper dir's mode: give it the image root's.
    mkdirSync(join(dir, 'upper'));
    chmodSync(join(dir, 'upper'), statSync(env.image.layers[0]!).mode & 0o7777);
    const hostname = spec.hostname ?? env.id.slice(0, 12);
    writeFileSync(join(dir, 'hostname'), `${hostname}\n`);
    writeFileSync(join(dir, 'hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n127.0.1.1\t${hostname}\n`);
    // chroot shares the host's network, so it shares its resolver configuration.
    if (existsSync('/etc/resolv.conf')) copyFileSync('/etc/resolv.conf', join(dir, 'resolv.conf'));
    else writeFileSync(join(dir, 'resolv.conf'), '');
    return { id: env.id, name: env.name, backend: this.name, dir };
  }

  private runArgv(rec: EnvRecord, dir: string): string[] {
    const spec = rec.spec;
    const user = this.user(rec, spec.user);
    const maps = rec.rootless ? rootlessIdMaps() : { uid: [], gid: [] };
    const command = spec.command.length > 0 ? spec.command : [...rec.image.config.entrypoint, ...rec.image.config.cmd];
    return shimRunArgv({
      isolation: this.isolation(rec),
      shim: shimPath(),
      stateDir: dir,
      ...(spec.tty && !spec.detach ? { notifyFd: 3 } : {}),
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
      env: commandEnv({ image: rec.image.config.env, user: spec.env, hostname: rec.hostname, home: user.home, tty: spec.tty }),
      workdir: spec.workdir ?? (rec.image.config.workdir || '/'),
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
      command,
    });
  }

  async start(h: Handle): Promise<void> {
    const rec = this.record(h);
    await this.acquire(rec);
    const [cmd, ...args] = this.runArgv(rec, h.dir);
    if (!rec.spec.detach) {
      // Attached: the monitor writes to our stdout/stderr and the log; wait() collects it.
      const tty = rec.spec.tty;
      const child = spawn(cmd!, args, { stdio: tty ? ['inherit', 'inherit', 'inherit', 'pipe'] : ['inherit', 'inherit', 'inherit'] });
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
        child.once('error', (e) => reject(new DriverError('spawn-failed', `cannot start the native helper: ${e.message}`, { cause: e })));
      });
      return;
    }
    const res = await runToExit(cmd!, args);
    if (res.code !== 0) {
      const line = res.stderr.trim().split('\n').pop() ?? '';
      throw new DriverError('start-failed', line.replace(/^berth: /, '') || `the environment failed to start (exit ${res.code})`, {
        exitCode: res.code === 126 || res.code === 127 ? res.code : 125,
      });
    }
  }

  async exec(h: Handle, argv: string[], opts: ExecOptions): Promise<ExitResult> {
    const rec = this.record(h);
    const pids = this.store.runningPids(h.id, h.name, 'exec works only while the environment runs');
    const user = this.user(rec, opts.user ?? rec.spec.user);
    const env = commandEnv({ image: rec.image.config.env, user: { ...rec.spec.env, ...opts.env }, hostname: rec.hostname, home: user.home, tty: opts.tty });
    const [cmd, ...args] = shimExecArgv({
      isolation: this.isolation(rec),
      shim: shimPath(),
      pid: pids.child,
      rootless: rec.rootless,
      env,
      workdir: opts.workdir ?? rec.spec.workdir ?? (rec.image.config.workdir || '/'),
      user,
      tty: opts.tty,
      interactive: opts.interactive || opts.stdio === 'pipe',
      command: argv,
    });
    return runExecHelper(cmd!, args, opts);
  }

  async signal(h: Handle, sig: string): Promise<void> {
    sendSignal(this.store, h, sig);
  }

  stop(h: Handle, opts: StopOptions): Promise<ExitResult | undefined> {
    return stopWithGrace(this.store, h, opts);
  }

  async remove(h: Handle, opts: { force: boolean }): Promise<void> {
    const rec = this.store.readRecord(h.id);
    const st = this.store.status(h.id);
    if ((st.state === 'running' || st.state === 'paused') && !opts.force) {
      throw new StateError('running', `environment ${h.name} is running`, { fix: `stop it first, or use "berth rm -f ${h.name}"` });
    }
    this.store.markState(h.id, 'removing');
    await killAll(this.store, h);
    if (rec) await this.release(rec);
    if (rec?.rootless && existsSync(h.dir)) {
      // Files written by mapped sub-ids belong to them: remove inside the same id mapping.
      const maps = rootlessIdMaps();
      const [cmd, ...args] = rmtreeArgv(shimPath(), h.dir, true, maps.uid, maps.gid);
      const res = await runToExit(cmd!, args);
      if (res.code !== 0) {
        throw new DriverError('rm-failed', `cannot remove ${h.dir}: ${res.stderr.trim()}`, { fix: 'remove it by hand as root' });
      }
    }
    this.store.removeDir(h.id);
  }

  async wait(h: Handle): Promise<ExitResult> {
    const child = this.children.get(h.id);
    if (child) {
      const res = await Promise.race([
        statusFromExit(child),
        new Promise<ExitResult>((resolve) => child.once('berth-detached', () => resolve({ exitCode: 0, detached: true }))),
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

  async inspect(h: Handle): Promise<Status> {
    return this.store.status(h.id);
  }

  async recover(dir: string): Promise<Handle> {
    const id = dir.split('/').pop()!;
    const rec = this.store.readRecord(id);
    if (!rec || !statSync(dir).isDirectory()) throw new StateError('no-such-env', `no environment recorded in ${dir}`);
    return { id: rec.id, name: rec.name, backend: this.name, dir };
  }
}
