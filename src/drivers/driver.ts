/**
 * The driver contract. Each backend is described once (its folder's register.ts: a
 * BackendDescriptor: name, capabilities, probe, validate, load); its code implements
 * DriverOps and loads only when used. The library talks to a Driver, made from the descriptor
 * by backend-driver.ts, which forwards every operation (ADR 0031). Probes never throw;
 * capabilities are data; validate() refuses what a backend cannot honour before any side
 * effect; operations only some backends have are declared in capabilities and only then called.
 */
import type { Readable, Writable } from 'node:stream';
import type { TemplateMachine, TemplateRecord } from '../templates/template-record.js';
import type { TransferHook } from '../core/transfer.js';
import type { BackendName, IsolationLevel } from '../core/spec.js';
import type { ResolvedSpec } from '../core/resolved-spec.js';
import type { EnvStore } from '../core/env-store.js';
import type { ResolvedImage } from '../images/image.js';
import type { EnvProcess } from '../host/ns-processes.js';
import type { ExitResult, Status } from '../core/env-status.js';

export interface Probe {
  ok: boolean;
  /** Why it does not work here (empty when ok). */
  reason: string;
  version?: string;
  /** Individual findings: feature name -> verdict, shown by `berth doctor`. */
  details: Record<string, string | number | boolean>;
}

export interface Capabilities {
  isolation: IsolationLevel;
  separateKernel: boolean;
  rootless: boolean;
  exec: boolean;
  tty: boolean;
  pause: boolean;
  checkpoint: boolean;
  networkModes: string[];
  limits: { memory: boolean; cpus: boolean; pids: boolean };
  /** Boots from a disk of its own (--disk-size applies). */
  disk: boolean;
  /** Plain words on what this backend does and does not isolate. */
  summary: string;
  /** Known faults of what the backend runs on (its kernel), one sentence each; `doctor` lists them. */
  knownLimits?: string[];
}

export interface Problem {
  field: string;
  message: string;
  fix?: string;
}

/** Everything a driver needs to create an environment; prepared by the library. */
export interface PreparedEnv {
  id: string;
  name: string;
  /** The environment's own state directory (exists, empty but for config). */
  dir: string;
  /** With each option resolved for this backend (core/resolved-spec.ts): read `spec.resolved`, never re-parse. */
  spec: ResolvedSpec;
  image: ResolvedImage;
  /** True when berth runs as a normal user (user namespace needed). */
  rootless: boolean;
  /** Progress of slow preparation (a kernel fetched on first use, a base disk built). */
  onProgress?: (msg: string) => void;
  onTransfer?: TransferHook;
  /** A clone of this template (docs/templates.md): its record and directory. */
  template?: { record: TemplateRecord; dir: string };
}

export interface Handle {
  id: string;
  name: string;
  backend: BackendName;
  dir: string;
}

export type { EnvState, ExitResult, Status } from '../core/env-status.js';

export interface ExecOptions {
  tty: boolean;
  interactive: boolean;
  env: Record<string, string>;
  workdir?: string;
  user?: string;
  detach?: boolean;
  /**
   * 'inherit' (default): the command uses this process's stdio. 'pipe': stdin is `input` (then
   * closed), stdout and stderr are collected into the result and passed to onStdout/onStderr.
   */
  stdio?: 'inherit' | 'pipe';
  /** With stdio 'pipe': all of stdin, or a stream passed on as it comes (stdin closes at its end). */
  input?: Buffer | string | Readable;
  /**
   * A promise returned holds the command's output, both streams, back until it settles (the
   * caller's stream is full: write-or-wait.ts); any other value is ignored.
   */
  onStdout?: (chunk: Buffer) => unknown;
  onStderr?: (chunk: Buffer) => unknown;
  /**
   * False: output passed to onStdout/onStderr is not also kept in the result (a large or long
   * output, such as a copy's tar, is not held in memory). Default true.
   */
  keepStreamed?: boolean;
  /** When this aborts the command gets SIGHUP, as from a terminal that closed (its client went). */
  hangup?: AbortSignal;
  /** Kill the command after this long (SIGTERM, then SIGKILL 2 s later); the result says timedOut. */
  timeoutMs?: number;
  /** With tty and stdio 'pipe': the terminal's size, which the caller may change while it runs (24x80 until told). */
  terminal?: TerminalResizes;
}

/** A terminal's size in characters. */
export interface TerminalSize {
  rows: number;
  cols: number;
}

/** The size of a terminal whose client may resize it while the command runs (Docker's exec resize). */
export interface TerminalResizes {
  /** The size now; undefined: none was given yet. */
  current(): TerminalSize | undefined;
  /** LISTENER gets each later size; returns its unsubscribe. */
  subscribe(listener: (size: TerminalSize) => void): () => void;
}

/**
 * Raw resource use of an environment at one moment (`berth stats` computes CPU % from two).
 * null = not accounted for here.
 */
export interface EnvStats {
  /** CPU time used so far (cumulative), in nanoseconds. */
  cpuUsageNs: number | null;
  memoryBytes: number | null;
  /** null = no limit (the host's memory); a VM's is its guest RAM. */
  memoryLimitBytes: number | null;
  pids: number | null;
  pidsLimit: number | null;
  /** Bytes received and sent by the environment (its own network namespace or its tap; null for the host's network). */
  netRxBytes: number | null;
  netTxBytes: number | null;
  /** Storage I/O of its processes (/proc/PID/io). */
  blockReadBytes: number | null;
  blockWriteBytes: number | null;
  /** When these were read (Date.now()). */
  readAtMs: number;
  /** cgroup: the environment's cgroups; processes: its host processes' /proc (a VM's: the VM's host processes). */
  source: 'cgroup' | 'processes';
}

export interface StopOptions {
  timeoutMs: number;
  signal?: string;
}

/**
 * What a backend's code does once loaded. Every operation is required: one a backend does not
 * have refuses (its base class says so), and capabilities() tells callers not to ask.
 */
export interface DriverOps {
  create(env: PreparedEnv): Promise<Handle>;
  /** Start the environment. When spec.detach is false, the command is attached to this process's stdio. */
  start(h: Handle): Promise<void>;
  exec(h: Handle, argv: string[], opts: ExecOptions): Promise<ExitResult>;
  signal(h: Handle, sig: string): Promise<void>;
  /**
   * The stdin of a running, detached environment made with -i (Docker's attach with stdin): what
   * is written goes to its command; the end is EOF to a command without a terminal.
   */
  openStdin(h: Handle): Promise<Writable>;
  /** Resize the terminal of a running environment made with -t. */
  resize(h: Handle, size: TerminalSize): Promise<void>;
  stop(h: Handle, opts: StopOptions): Promise<ExitResult | undefined>;
  remove(h: Handle, opts: { force: boolean }): Promise<void>;
  wait(h: Handle): Promise<ExitResult>;
  inspect(h: Handle): Promise<Status>;
  /** Rebuild a handle from its state directory (after the CLI exited or crashed). */
  recover(dir: string): Promise<Handle>;
  /** Resource usage: from cgroups, or from the environment's host processes. */
  stats(h: Handle): Promise<EnvStats>;
  /** The environment's processes as it sees them (VM backends: listed inside the guest; others: its host processes). */
  processes(h: Handle): Promise<EnvProcess[]>;
  /** capabilities().pause */
  pause(h: Handle): Promise<void>;
  resume(h: Handle): Promise<void>;
  /** capabilities().checkpoint */
  checkpoint(h: Handle, name: string): Promise<void>;
  restore(h: Handle, name: string): Promise<void>;
  /**
   * A template build's setup has exited: microvm saves the VM state and freezes the disk into
   * `into` (the VM ends) and returns what a clone must match; the shim backends keep only the
   * filesystem and return undefined (then the environment is committed); uml refuses.
   * `live` (template create --from): the environment keeps running; microvm saves it without ending it.
   */
  saveTemplate(h: Handle, into: string, live?: boolean): Promise<TemplateMachine | undefined>;
  /** VM backends: machine facts for inspect (accelerator, run state over QMP, checkpoints); others: undefined. */
  machine(h: Handle): Promise<Record<string, unknown> | undefined>;
}

/** A backend, described once (src/drivers/BACKEND/register.ts): all that is known without loading its code. */
export interface BackendDescriptor {
  readonly name: BackendName;
  readonly capabilities: Capabilities;
  /** Whether this backend works on this host and why not (lighter than the driver: it runs on every auto). */
  probe(store: EnvStore): Promise<Probe>;
  /**
   * This backend's own refusals, without side effects. The ones that follow from capabilities
   * (a limit it cannot enforce, no disk, no kernel of its own) are capability-problems.ts's.
   */
  validate(spec: ResolvedSpec, rootless: boolean): Problem[];
  /** Which limits are enforced, where and how (for inspect: synchronous, from the state directory). */
  enforcement?(store: EnvStore, h: Handle): unknown;
  /** The driver's code: a dynamic import for the cold backends (ADR 0002). */
  load(store: EnvStore): DriverOps | Promise<DriverOps>;
}

/** What the library uses: a backend's description and its operations (src/drivers/backend-driver.ts). */
export interface Driver extends DriverOps {
  readonly name: BackendName;
  /** Whether this backend works on this host and why not. Never throws. */
  probe(): Promise<Probe>;
  capabilities(): Capabilities;
  /** Problems with this spec on this backend, found without side effects. */
  validate(spec: ResolvedSpec, rootless: boolean): Problem[];
  /** Which limits are enforced, where and how (for inspect); undefined: none. */
  enforcement(h: Handle): unknown;
}
