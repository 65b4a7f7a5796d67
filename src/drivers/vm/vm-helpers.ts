/**
 * Processes a VM needs before it starts (microvm: a virtiofsd per -v share, ADR 0059), started by
 * the VM monitor: each is spawned, and the VM may start once every one listens on its socket.
 * They end with the VM: by themselves when QEMU's end of their socket closes, else when the
 * monitor (or rm) kills every process whose argv names the launch's `helpersNeedle`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { VmHelper } from './vm-launch.js';
import { processesMentioning } from './vm-processes.js';

/** How long a helper may take to listen (virtiofsd: a few ms; a loaded host: more). */
const LISTEN_WITHIN_MS = 30_000;

/** Resolves once every helper's socket exists; rejects with a one-line reason when one exits first or takes too long. */
export async function startHelpers(helpers: readonly VmHelper[], onOutput: (d: Buffer) => void): Promise<void> {
  for (const h of helpers) {
    let output = '';
    let ended: string | undefined;
    const child = spawn(h.argv[0]!, h.argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (d: Buffer) => {
      onOutput(d);
      output = (output + d.toString('utf8')).slice(-2000);
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.once('error', (e) => (ended = e.message));
    // 'close', not 'exit': its last words are read by then.
    child.once('close', (code, sig) => (ended = sig ? `killed by ${sig}` : `exited with status ${code}`));
    const deadline = Date.now() + LISTEN_WITHIN_MS;
    while (!existsSync(h.socket)) {
      const last = output.trim().split('\n').pop();
      if (ended !== undefined) throw new Error(`${h.what} ${ended}${last ? `: ${last}` : ''}`);
      if (Date.now() > deadline) throw new Error(`${h.what} did not listen within ${LISTEN_WITHIN_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** SIGKILL every process whose argv names `needle` (a helper and what it forked). */
export function killHelpers(needle: string): void {
  for (const pid of processesMentioning(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
