/** What a VM monitor is told (monitor.json in the environment's state dir, written by the driver). */
import type { StartRequest } from './guest-protocol.js';
import type { VmLaunch } from './vm-launch.js';
import type { RelayedPort } from './vm-port-relay.js';

export interface VmMonitorConfig {
  launch: VmLaunch;
  /** The environment's state dir: pids.json, exit.json, ctr.log, console.log. */
  stateDir: string;
  logFile: string;
  consoleLog: string;
  logMaxBytes: number;
  logMaxFiles: number;
  /** The unix socket later berth invocations talk to (attach, exec, signal). */
  socketPath: string;
  /** The environment's command. */
  main: StartRequest;
  /** Attached run: the command starts once the CLI attached, and the watchdog is armed. */
  attached: boolean;
  /** The CLI process of an attached run (pid + start time): its death takes the VM down. */
  owner?: { pid: number; start?: number };
  /** --rm: the argv the monitor starts when the command ended and no CLI waits for it (common/auto-remove-argv.ts). */
  exitHook?: string[];
  /** Give up when the guest is not ready by then. */
  bootTimeoutMs: number;
  /** `-p` the monitor itself listens for and carries over the guest protocol (uml). */
  relayedPorts?: RelayedPort[];
  /** A bridge network's `-p` host ports (PROTO:ADDR:PORT), bound for the monitor's life (held-ports.ts). */
  holdPorts?: string[];
  /** A bridge network's hosts file for this environment: copied into the guest's /etc/hosts (vm-hosts-sync.ts). */
  hostsFile?: string;
  /** Template build: after the command (the setup) exits the guest stays up, idle, to be saved. */
  holdAfterExit?: boolean;
  /** A clone resumed from a template's saved state: sent IDENTITY (fresh clock and seed) first. */
  identity?: { hostname: string; net?: { lease: string; mac: string } };
  /** uml: the host directory the guest shares by hostfs for the bulk channel (ADR 0053). */
  bulkDir?: string;
  /** microvm: the raw file the guest reads as its bulk channel's disk (ADR 0084); native monitor only. */
  bulkDisk?: string;
}

export const MONITOR_CONFIG = 'monitor.json';
export const MONITOR_PID = 'monitor.pid';
export const CONSOLE_LOG = 'console.log';
