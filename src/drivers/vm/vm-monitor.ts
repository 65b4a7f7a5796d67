/**
 * The VM monitor: one detached process per VM (started by the driver, runs on after the CLI
 * exits). It starts the VM through a VmLaunch, logs the guest console (console.log) and the
 * command's stdout/stderr (ctr.log, CRI format), serves a unix socket for attach / exec /
 * signal, writes pids.json and exit.json as the native monitor does (src/core/env-store.ts),
 * and has a watchdog: an attached run whose CLI is gone without detaching takes its VM down.
 */
import { holdPorts } from './vm-held-ports.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import {
  FrameDecoder,
  FrameType as F,
  encodeFrame,
  encodeExit,
  decodeExit,
  encodeStart,
  encodeIdentity,
  type Frame,
  type ExitPayload,
} from './guest-protocol.js';
import { CriWriter } from './cri-writer.js';
import { MONITOR_PID, type VmMonitorConfig } from './vm-monitor-config.js';
import { writeJsonAtomic } from '../../core/atomic-write.js';
import { isProcessAlive, processStartTime } from '../../core/process-identity.js';
import { signalName } from '../common/spawn-wait.js';
import { listenRelayedPorts } from './vm-port-relay.js';
import { GuestFlow, GUEST_WINDOW } from './guest-flow.js';
import { HostsSync } from './vm-hosts-sync.js';
import { BulkChannel } from './bulk-channel.js';
import { BulkFrame } from './bulk-frames.js';
import { OutputFlow } from './output-flow.js';
import { killHelpers, startHelpers } from './vm-helpers.js';

interface Client {
  sock: Socket;
  attached: boolean;
  /** The run's own attached CLI (not a later attach for input): its going without DETACH is the watchdog's. */
  owner: boolean;
  detached: boolean;
  decoder: FrameDecoder;
  /** client session -> guest session (exec) */
  sessions: Map<number, number>;
}

const MAIN = 1;

/** Bytes of client input the monitor holds for a guest that has not taken them yet. */
const CLIENT_INPUT_LIMIT = 4 * 1024 * 1024;

/** The line of a console tail that best says why a kernel did not come up. */
export function bootFailureReason(consoleTail: string): string {
  const lines = consoleTail
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const at = lines.findIndex((l) => /Kernel panic/.test(l));
  if (at >= 0) {
    const panic = lines[at]!;
    if (!/Kernel panic - not syncing:/.test(panic)) return panic;
    // What it followed: the first oops line, and the first RIP after it (the faulting function).
    const f = lines
      .slice(0, at)
      .findIndex((l) => /BUG:|general protection fault|Oops:|invalid opcode:|unable to handle/.test(l));
    const rip = f >= 0 ? lines.slice(f + 1, at).find((l) => /RIP:/.test(l)) : undefined;
    const after = f >= 0 ? ` (after ${lines[f]}${rip ? `; ${rip}` : ''})` : '';
    return `${panic.replace(/^.*?Kernel panic - not syncing:\s*/, 'kernel panic: ')}${after}`;
  }
  const fatal = lines.find((l) =>
    /berth-init: fatal:|Too few physical memory|Out of memory|not enough memory|failed/i.test(l),
  );
  return fatal ?? lines[lines.length - 1] ?? 'no console output';
}

export class VmMonitor {
  private vm!: ChildProcess;
  private readonly guest = new FrameDecoder();
  private server!: Server;
  private readonly clients = new Set<Client>();
  private readonly log: CriWriter;
  private readonly console: CriWriter;
  private consoleTail = '';
  private ready = false;
  private mainStarted: Buffer | undefined;
  private mainExit: ExitPayload | undefined;
  private mainSent = false;
  private attachInfo: { rows?: number; cols?: number; stdin: boolean } | undefined;
  private nextSession = 2;
  /** guest session -> owning client and its session id */
  private readonly execs = new Map<number, { client: Client; session: number }>();
  private readonly pending: Buffer[] = [];
  /** Set once the control channel is connected: what goes to the guest, within its window. */
  private flow: GuestFlow | undefined;
  /** Guest -> client: a session whose client reads slowly is paused in the guest. */
  private readonly outFlow = new OutputFlow((type, session) => this.toGuest(encodeFrame(type, session)));
  /** Input for the command that arrived before it was started (stdin of `-i` is read at once). */
  private readonly mainInput: Frame[] = [];
  /** uml: session data in files of a directory the guest shares (ADR 0053). */
  private readonly bulk: BulkChannel | undefined;
  private finished = false;
  /** Bridge networks: peer names kept in the guest's /etc/hosts; the command starts after the first copy. */
  private hosts: HostsSync | undefined;
  private hostsCopied = false;
  /** A client left with DETACH (Ctrl-P Ctrl-Q): the command runs on without its CLI. */
  private detachedOnce = false;
  /** The watchdog found the attached CLI gone. */
  private orphaned = false;
  private exitHookStarted = false;

  constructor(private readonly cfg: VmMonitorConfig) {
    this.log = new CriWriter(cfg.logFile, cfg.logMaxBytes, cfg.logMaxFiles);
    this.console = new CriWriter(cfg.consoleLog, cfg.logMaxBytes, 1);
    this.bulk = cfg.bulkDir
      ? new BulkChannel(
          cfg.bulkDir,
          (b) => this.toGuest(b),
          () => (this.flow?.pending ?? 0) > 0,
        )
      : undefined;
  }

  async run(): Promise<void> {
    // Also written by the driver; written here too so no window exists in which rm -f cannot find us.
    writeJsonAtomic(
      join(this.cfg.stateDir, MONITOR_PID),
      { pid: process.pid, start: processStartTime(process.pid) ?? 0 },
      0o600,
      false,
    );
    rmSync(this.cfg.socketPath, { force: true });
    this.server = createServer((sock) => this.onClient(sock));
    await new Promise<void>((res, rej) => {
      this.server.once('error', rej);
      this.server.listen(this.cfg.socketPath, res);
    });
    if (this.cfg.holdPorts?.length) {
      try {
        await holdPorts(this.cfg.holdPorts);
      } catch (e) {
        this.fail((e as Error).message);
        return;
      }
    }
    if (this.cfg.relayedPorts?.length) {
      try {
        await listenRelayedPorts(this.cfg.socketPath, this.cfg.relayedPorts);
      } catch (e) {
        this.fail((e as Error).message);
        return;
      }
    }
    const boot = setTimeout(() => {
      if (!this.ready)
        this.fail(
          `${this.cfg.launch.what} did not become ready within ${this.cfg.bootTimeoutMs / 1000} s (${bootFailureReason(this.consoleTail)})`,
        );
    }, this.cfg.bootTimeoutMs);
    boot.unref();
    if (this.cfg.launch.helpers?.length) {
      try {
        await startHelpers(this.cfg.launch.helpers, (d) => this.console.write('stdout', d));
      } catch (e) {
        this.fail((e as Error).message);
        return;
      }
    }
    this.startVm();
    if (this.cfg.attached && this.cfg.owner) {
      const owner = this.cfg.owner;
      setInterval(() => {
        if (!isProcessAlive(owner.pid, owner.start) && !this.anyDetached())
          this.watchdog('the attached berth process is gone');
      }, 250).unref();
    }
  }

  private startVm(): void {
    const l = this.cfg.launch;
    const fds = Math.max(l.ctl.kind === 'fd' ? l.ctl.fd : 2, l.consoleFd ?? 2);
    const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'];
    for (let i = 3; i <= fds; i++) stdio.push('pipe');
    this.vm = spawn(l.argv[0]!, l.argv.slice(1), {
      stdio,
      env: { ...process.env, ...(l.env ?? {}) },
      // Node drops the supplementary groups, then sets the gid and the uid, before exec.
      ...(l.user ? { uid: l.user.uid, gid: l.user.gid } : {}),
      ...(l.cwd ? { cwd: l.cwd } : {}),
    });
    this.vm.once('error', (e) => this.fail(`cannot start ${l.what}: ${e.message}`));
    const onConsole = (d: Buffer) => {
      this.console.write('stdout', d);
      this.consoleTail = (this.consoleTail + d.toString('utf8')).slice(-8192);
    };
    this.vm.stdout!.on('data', onConsole);
    this.vm.stderr!.on('data', onConsole);
    if (l.consoleFd !== undefined) (this.vm.stdio[l.consoleFd] as Duplex).on('data', onConsole);
    if (this.vm.pid) {
      writeJsonAtomic(
        join(this.cfg.stateDir, 'pids.json'),
        {
          monitor: process.pid,
          child: this.vm.pid,
          childStart: processStartTime(this.vm.pid) ?? 0,
          startedAt: new Date().toISOString(),
          monitorRequired: true,
        },
        0o600,
        false,
      );
    }
    if (l.ctl.kind === 'fd') this.attachCtl(this.vm.stdio[l.ctl.fd] as Duplex);
    else this.connectCtl(l.ctl.path, Date.now() + this.cfg.bootTimeoutMs);
    this.vm.once('exit', (code, sig) => this.onVmExit(code, sig));
  }

  private connectCtl(path: string, deadline: number): void {
    const s = connect(path);
    s.once('connect', () => this.attachCtl(s));
    s.once('error', () => {
      if (Date.now() < deadline && !this.finished) setTimeout(() => this.connectCtl(path, deadline), 20);
    });
  }

  private attachCtl(s: Duplex): void {
    s.on('data', (d: Buffer) => {
      try {
        for (const f of this.guest.push(d)) this.onGuestFrame(f);
      } catch (e) {
        this.fail(`control channel: ${(e as Error).message}`);
      }
    });
    s.on('error', () => {
      /* the VM's exit says the rest */
    });
    const flow = new GuestFlow(
      (b) => s.write(b),
      this.cfg.launch.ctl.flow === 'stream' ? Number.POSITIVE_INFINITY : GUEST_WINDOW,
    );
    s.on('drain', () => flow.drained());
    this.flow = flow;
    if (this.cfg.identity) {
      // A resumed clone waits for its own identity; it answers READY once it is applied.
      const now = Date.now();
      const identity = encodeIdentity({
        hostname: this.cfg.identity.hostname,
        ...(this.cfg.identity.net ? { net: this.cfg.identity.net } : {}),
        time: { sec: Math.floor(now / 1000), nsec: (now % 1000) * 1e6 },
        seed: randomBytes(64),
      });
      this.flow.send(encodeFrame(F.IDENTITY, 0, identity));
    }
    for (const b of this.pending.splice(0)) this.flow.send(b);
  }

  /** `session`: a client's input for that guest session (dropped if the client goes first). */
  private toGuest(b: Buffer, session?: number): void {
    if (this.flow) this.flow.send(b, session);
    else this.pending.push(b);
  }

  private onGuestFrame(f: Frame): void {
    switch (f.type) {
      case F.ACK:
        if (f.payload.length >= 4) this.flow?.acked(f.payload.readUInt32LE(0));
        return;
      case F.READY:
        this.ready = true;
        this.broadcast(encodeFrame(F.READY, 0, f.payload));
        if (this.cfg.hostsFile) {
          // Peers' names first: the command may look one up at once.
          this.hosts = new HostsSync(this.cfg.socketPath, this.cfg.hostsFile, (m) => process.stderr.write(`${m}\n`));
          void this.hosts.start().finally(() => {
            this.hostsCopied = true;
            this.maybeStartMain();
          });
        } else {
          this.hostsCopied = true;
          this.maybeStartMain();
        }
        return;
      case F.STARTED:
        if (f.session === MAIN) {
          this.mainStarted = f.payload;
          this.broadcast(encodeFrame(F.STARTED, MAIN, f.payload));
        } else this.toExecClient(f);
        return;
      case F.STDOUT:
      case F.STDERR:
        this.output(f, () => undefined);
        return;
      case F.EXIT:
        this.bulk?.end(f.session);
        if (f.session === MAIN) this.onMainExit(decodeExit(f.payload));
        else {
          this.toExecClient(f);
          this.execs.delete(f.session);
          this.outFlow.ended(f.session);
        }
        return;
      case BulkFrame.READY:
        this.bulk?.onReady();
        return;
      case BulkFrame.DONE:
        this.bulk?.onDone(f.session, f.payload);
        return;
      case BulkFrame.OUT:
        this.onBulkOutput(f);
        return;
      default:
        return;
    }
  }

  private toExecClient(f: Frame): boolean {
    const e = this.execs.get(f.session);
    if (!e || e.client.sock.destroyed) return true;
    const written = e.client.sock.write(encodeFrame(f.type, e.session, f.payload));
    if (f.type === F.STDOUT || f.type === F.STDERR) this.outFlow.wrote(f.session, e.client.sock);
    return written;
  }

  /** The command's output goes to the log and the attached clients, an exec's to its client; `drained`
   * runs once an exec's client took it (at once for the command: the log does not wait). */
  private output(f: Frame, drained: () => void): void {
    if (f.session !== MAIN) {
      const e = this.execs.get(f.session);
      if (this.toExecClient(f) || !e) drained();
      else {
        const sock = e.client.sock;
        const done = () => {
          sock.off('drain', done).off('close', done);
          drained();
        };
        sock.once('drain', done).once('close', done);
      }
      return;
    }
    this.log.write(f.type === F.STDOUT ? 'stdout' : 'stderr', f.payload);
    for (const c of this.clients)
      if (c.attached && !c.detached) {
        c.sock.write(encodeFrame(f.type, MAIN, f.payload));
        this.outFlow.wrote(MAIN, c.sock);
      }
    drained();
  }

  /** Output in a bulk file: passed on like a frame of it; the guest may write the next file once it was taken. */
  private onBulkOutput(f: Frame): void {
    const bulk = this.bulk;
    if (!bulk) return;
    let out: { type: number; data: Buffer };
    try {
      out = bulk.takeOutput(f.payload);
    } catch (e) {
      // A stream with a hole must not look whole: the session's process is killed.
      process.stderr.write(`bulk channel: session ${f.session}: ${(e as Error).message}\n`);
      this.toGuest(encodeFrame(F.SIGNAL, f.session, Buffer.from([9, 0, 0, 0])));
      bulk.taken(f.session);
      return;
    }
    let once = false;
    this.output({ type: out.type, session: f.session, payload: out.data }, () => {
      if (once) return;
      once = true;
      if (!this.finished) bulk.taken(f.session);
    });
  }

  private broadcast(b: Buffer): void {
    for (const c of this.clients) if (!c.sock.destroyed) c.sock.write(b);
  }

  private anyDetached(): boolean {
    for (const c of this.clients) if (c.detached) return true;
    return this.detachedOnce;
  }

  private maybeStartMain(): void {
    if (this.mainSent || !this.ready || !this.hostsCopied) return;
    if (this.cfg.attached && !this.attachInfo) return;
    this.mainSent = true;
    const req = { ...this.cfg.main };
    if (this.attachInfo) {
      req.stdin = req.stdin && this.attachInfo.stdin;
      if (this.attachInfo.rows) req.rows = this.attachInfo.rows;
      if (this.attachInfo.cols) req.cols = this.attachInfo.cols;
    }
    this.toGuest(encodeFrame(F.START, MAIN, encodeStart(req)));
    for (const f of this.mainInput.splice(0)) this.forward(f);
  }

  private onMainExit(e: ExitPayload): void {
    if (this.mainExit) return;
    this.mainExit = e;
    this.writeExit(e);
    this.broadcast(encodeFrame(F.EXIT, MAIN, encodeExit(e)));
    // A template's setup is done: the guest stays up, idle, until its state is saved.
    if (this.cfg.holdAfterExit) return;
    // The command is done: power the guest off (clean unmount), then the VM process exits.
    this.toGuest(encodeFrame(F.SHUTDOWN, 0));
    setTimeout(() => this.killVm(), 10_000).unref();
  }

  private writeExit(e: ExitPayload): void {
    const sig = e.signal ? (signalName(e.signal) ?? null) : null;
    writeJsonAtomic(
      join(this.cfg.stateDir, 'exit.json'),
      {
        exitCode: e.exitCode,
        signal: sig,
        finishedAt: new Date().toISOString(),
        ...(e.error ? { error: e.error } : {}),
        ...(e.oomKilled ? { oomKilled: true } : {}),
      },
      0o600,
      false,
    );
  }

  private onVmExit(code: number | null, sig: NodeJS.Signals | null): void {
    if (!this.mainExit) {
      const how = sig ? `was killed by ${sig}` : `exited with status ${code}`;
      const e: ExitPayload = this.ready
        ? {
            exitCode: 128 + (sig ? (constants.signals[sig] ?? 9) : 9),
            signal: sig ? (constants.signals[sig] ?? 9) : 9,
            error: `${this.cfg.launch.what} ${how} while the command ran`,
          }
        : {
            exitCode: 125,
            signal: 0,
            error: `${this.cfg.launch.what} failed to boot: ${bootFailureReason(this.consoleTail)}`,
          };
      this.mainExit = e;
      this.writeExit(e);
      this.broadcast(encodeFrame(F.EXIT, MAIN, encodeExit(e)));
    }
    this.endExecs('the VM stopped');
    this.finish();
  }

  /** Every exec in flight ends (137) with WHY; what may be left of one in the guest is killed. */
  private endExecs(why: string): void {
    for (const [g, e] of this.execs) {
      if (!e.client.sock.destroyed)
        e.client.sock.write(encodeFrame(F.EXIT, e.session, encodeExit({ exitCode: 137, signal: 9, error: why })));
      this.execs.delete(g);
      if (!this.finished) this.toGuest(encodeFrame(F.SIGNAL, g, Buffer.from([9, 0, 0, 0])));
    }
  }

  /**
   * --rm: the command is over; unless the attached CLI is still there to remove the environment,
   * start the exit hook (a session of its own: it outlives this monitor's process group). A
   * detached start that failed before its command ran is its creator's to undo.
   */
  private startExitHook(): void {
    const hook = this.cfg.exitHook;
    if (!hook || this.exitHookStarted || (!this.cfg.attached && !this.mainStarted)) return;
    const owner = this.cfg.owner;
    const waited =
      this.cfg.attached &&
      !this.anyDetached() &&
      !this.orphaned &&
      owner !== undefined &&
      isProcessAlive(owner.pid, owner.start);
    if (waited) return;
    this.exitHookStarted = true;
    try {
      spawn(hook[0]!, hook.slice(1), { detached: true, stdio: 'ignore' }).unref();
    } catch {
      /* the environment stays listed as exited; rm removes it */
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.endHelpers();
    this.startExitHook();
    this.hosts?.stop();
    this.server.close();
    rmSync(this.cfg.socketPath, { force: true });
    for (const c of this.clients) c.sock.end();
    this.log.close();
    this.console.close();
    setTimeout(() => process.exit(0), 50).unref();
  }

  /** The VM process and its group (a uml kernel leads a session of its own). */
  private killVm(): void {
    const pid = this.vm?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* not a group leader, or gone */
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }

  /** berth's own failure: record it, then take the whole process group down. */
  fail(message: string): void {
    if (!this.mainExit) {
      this.mainExit = { exitCode: 125, signal: 0, error: message };
      this.writeExit(this.mainExit);
      this.broadcast(encodeFrame(F.EXIT, MAIN, encodeExit(this.mainExit)));
    }
    this.killGroup();
  }

  private watchdog(why: string): void {
    if (this.mainExit) return;
    this.orphaned = true;
    this.mainExit = {
      exitCode: 137,
      signal: 9,
      error: `${why}: the watchdog stopped the VM (use -d to keep it running)`,
    };
    this.writeExit(this.mainExit);
    this.killGroup();
  }

  /** Helpers that did not end with the VM's socket (one that never got a VM, or a stuck one). */
  private endHelpers(): void {
    if (this.cfg.launch.helpersNeedle) killHelpers(this.cfg.launch.helpersNeedle);
  }

  private killGroup(): void {
    this.startExitHook();
    this.killVm();
    this.endHelpers();
    rmSync(this.cfg.socketPath, { force: true });
    // The monitor leads its own process group (it was started detached): end it, itself last.
    setTimeout(() => process.kill(-process.pid, 'SIGKILL'), 20);
  }

  private onClient(sock: Socket): void {
    const c: Client = {
      sock,
      attached: false,
      owner: false,
      detached: false,
      decoder: new FrameDecoder(),
      sessions: new Map(),
    };
    this.clients.add(c);
    // Replay the main command's state so a late client knows where things stand.
    if (this.ready) sock.write(encodeFrame(F.READY, 0));
    if (this.mainStarted) sock.write(encodeFrame(F.STARTED, MAIN, this.mainStarted));
    if (this.mainExit) sock.write(encodeFrame(F.EXIT, MAIN, encodeExit(this.mainExit)));
    sock.on('data', (d: Buffer) => {
      try {
        for (const f of c.decoder.push(d)) this.onClientFrame(c, f);
      } catch {
        sock.destroy();
      }
    });
    sock.on('error', () => {
      /* close follows */
    });
    sock.on('close', () => this.onClientGone(c));
  }

  private onClientFrame(c: Client, f: Frame): void {
    switch (f.type) {
      case F.ATTACH: {
        const info = JSON.parse(f.payload.toString('utf8') || '{}') as {
          rows?: number;
          cols?: number;
          stdin?: boolean;
          /** A later client that only types into the command (berth serve's or berth attach's stdin). */
          input?: boolean;
        };
        c.attached = true;
        c.owner = info.input !== true;
        if (!this.attachInfo && c.owner)
          this.attachInfo = {
            stdin: info.stdin === true,
            ...(info.rows ? { rows: info.rows } : {}),
            ...(info.cols ? { cols: info.cols } : {}),
          };
        this.maybeStartMain();
        return;
      }
      case F.DETACH:
        c.detached = true;
        this.detachedOnce = true;
        return;
      case F.RESTORED:
        this.endExecs('the environment was restored to a checkpoint while this ran');
        return;
      case F.START: {
        const g = this.nextSession++;
        c.sessions.set(f.session, g);
        this.execs.set(g, { client: c, session: f.session });
        this.toGuest(encodeFrame(F.START, g, f.payload));
        return;
      }
      case F.STDIN:
      case F.RESIZE:
      case F.SIGNAL: {
        // A session this client started (an exec) first: an exec client numbers its own from 1 too.
        const g =
          c.sessions.get(f.session) ??
          (f.session === MAIN && (c.attached || f.type === F.SIGNAL || f.type === F.RESIZE) ? MAIN : undefined);
        if (g === MAIN && !this.mainSent) this.mainInput.push({ type: f.type, session: g, payload: f.payload });
        else if (g !== undefined) this.forward({ type: f.type, session: g, payload: f.payload });
        // The guest takes input at its channel's pace (a uml line: ~300 KB/s; the bulk channel:
        // as the process reads): stop reading a client that sends faster, rather than buffer all it sends.
        if (f.type !== F.STDIN || c.sock.isPaused()) return;
        if (g !== undefined && this.bulk?.active && this.bulk.held(g) >= CLIENT_INPUT_LIMIT) {
          c.sock.pause();
          this.bulk.whenHeldBelow(g, CLIENT_INPUT_LIMIT / 2, () => c.sock.resume());
        } else if (this.flow && this.flow.pending >= CLIENT_INPUT_LIMIT) {
          c.sock.pause();
          this.flow.whenPendingBelow(CLIENT_INPUT_LIMIT / 2, () => c.sock.resume());
        }
        return;
      }
      default:
        return;
    }
  }

  /** A client's STDIN, RESIZE or SIGNAL for guest session `f.session`; stdin through the bulk channel when there is one. */
  private forward(f: Frame): void {
    if (f.type === F.STDIN && this.bulk?.active) this.bulk.stdin(f.session, f.payload);
    else this.toGuest(encodeFrame(f.type, f.session, f.payload), f.type === F.STDIN ? f.session : undefined);
  }

  private onClientGone(c: Client): void {
    this.clients.delete(c);
    for (const [, g] of c.sessions) {
      if (this.execs.has(g)) {
        // An exec whose client went away: its input still queued is not sent; its process in the guest ends.
        this.flow?.drop(g);
        this.bulk?.end(g);
        this.toGuest(encodeFrame(F.SIGNAL, g, Buffer.from([9, 0, 0, 0])));
        this.execs.delete(g);
      }
    }
    if (c.owner && !c.detached && this.cfg.attached && !this.mainExit && !this.detachedOnce) {
      this.watchdog('the attached berth disconnected');
    }
  }
}

/** For diagnostics when even the monitor cannot start. */
export function writeMonitorError(stateDir: string, message: string): void {
  try {
    writeFileSync(join(stateDir, 'monitor.err'), `${message}\n`);
  } catch {
    /* nothing better to do */
  }
}
