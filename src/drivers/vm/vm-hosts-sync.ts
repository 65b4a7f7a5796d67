/**
 * Peer names for a VM on a bridge network. berth rewrites each member's host-side hosts file
 * (<env>/hosts) whenever a peer joins or leaves (network-attach.ts); a VM's /etc/hosts is on
 * its own disk, so its monitor copies that file in: once after boot, before the command starts,
 * and again on every change, each time as an exec session of `/proc/1/exe berth-hosts`
 * (native/init/hosts.c) with the file as its stdin.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { StartRequest } from './guest-protocol.js';
import { VmClient } from './vm-client.js';
import { captureSession } from './vm-capture.js';
import { helperRequest } from './guest-requests.js';

const POLL_MS = 250;
const PUSH_TIMEOUT_MS = 20_000;

export const HOSTS_REQUEST: StartRequest = helperRequest(['berth-hosts']);

export class HostsSync {
  private pushed = '';
  private busy: Promise<void> | undefined;
  private again = false;
  private watching = false;

  constructor(
    private readonly monitorSocket: string,
    private readonly file: string,
    private readonly warn: (m: string) => void,
  ) {}

  /** The first copy (the command waits for it), then one after every change of the file. */
  async start(): Promise<void> {
    await this.sync();
    this.watching = true;
    watchFile(this.file, { interval: POLL_MS, persistent: false }, () => void this.sync());
  }

  stop(): void {
    if (this.watching) unwatchFile(this.file);
    this.watching = false;
  }

  /** Copies the file unless the guest has this content already; one copy at a time, the last one wins. */
  private async sync(): Promise<void> {
    if (this.busy) {
      this.again = true;
      return this.busy;
    }
    this.busy = (async () => {
      do {
        this.again = false;
        await this.pushOnce();
      } while (this.again);
    })().finally(() => (this.busy = undefined));
    return this.busy;
  }

  private async pushOnce(): Promise<void> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return; // removed with the environment
    }
    if (text === this.pushed) return;
    const client = await VmClient.connect(this.monitorSocket, () => true, 5_000).catch(() => undefined);
    if (!client) return this.warn('hosts: cannot reach the monitor socket');
    const r = await captureSession(client, HOSTS_REQUEST, {
      tty: false,
      interactive: true,
      env: {},
      stdio: 'pipe',
      input: text,
      timeoutMs: PUSH_TIMEOUT_MS,
    });
    if (r.exitCode === 0) this.pushed = text;
    else
      this.warn(
        `hosts: updating /etc/hosts in the guest failed (exit ${r.exitCode}): ${String(r.stderr ?? '').trim()}`,
      );
  }
}
