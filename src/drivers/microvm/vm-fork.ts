/**
 * `template create NAME --from ENV` on microvm (ADR 0064): the running guest's state is saved
 * while it keeps running. All through the VM's QMP socket:
 *
 * 1. `migrate` to a unix socket this process listens on and copies to the state file. The guest
 *    runs during the live passes; QEMU stops it for the last one (the stream records it running,
 *    so clones resume running). If this process dies, the stream breaks, the migration fails and
 *    QEMU resumes the guest by itself: a killed fork leaves the source running.
 * 2. Once the migration completed (the guest stopped, its disk flushed), `blockdev-snapshot-sync`
 *    makes the current overlay the frozen read-only layer and gives the guest a new one on top:
 *    the frozen layer is exactly the disk the saved memory belongs to.
 * 3. `cont`: the source runs on, writing to its new overlay.
 */
import { createWriteStream, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { withQmp } from './qmp-control.js';
import type { QmpClient } from './qmp.js';
import { DriverError } from '../../core/errors.js';

interface MigrateInfo {
  status?: string;
  'error-desc'?: string;
}

export interface ForkPaths {
  /** QMP socket of the running VM. */
  qmp: string;
  /** Where the state stream goes. */
  stateFile: string;
  /** A unix socket path this process may listen on (in the VM's runtime dir). */
  streamSocket: string;
  /** The new top overlay of the source (created by QEMU over the current one). */
  newOverlay: string;
}

function failed(why: string): DriverError {
  return new DriverError('vm-fork-failed', `saving the running VM failed: ${why}`, {
    fix: "see the environment's console log (berth logs); the environment runs on",
  });
}

/** Accept one connection on `path` and copy it to `file`; resolves when the stream ended and the file is closed. */
function receiveStream(path: string, file: string): { listening: Promise<void>; done: Promise<void>; close(): void } {
  rmSync(path, { force: true });
  let conn: Socket | undefined;
  const server = createServer({ allowHalfOpen: false });
  const listening = new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(path, () => res());
  });
  const done = new Promise<void>((res, rej) => {
    server.once('connection', (c) => {
      conn = c;
      server.close();
      const out = createWriteStream(file, { mode: 0o600 });
      c.once('error', rej);
      out.once('error', rej);
      out.once('close', () => res());
      c.pipe(out);
    });
  });
  return {
    listening,
    done,
    close: () => {
      conn?.destroy();
      server.close();
      rmSync(path, { force: true });
    },
  };
}

async function waitMigrated(q: QmpClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await q.execute<MigrateInfo>('query-migrate');
    if (m.status === 'completed') return;
    if (m.status === 'failed' || m.status === 'cancelled') throw failed(m['error-desc'] ?? m.status);
    if (Date.now() > deadline) {
      await q.execute('migrate_cancel').catch(() => undefined);
      throw failed('the migration did not finish in time');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Save the running VM to `p.stateFile` and freeze its disk (returns once it runs again).
 * `switched` is called once the new overlay is the VM's top image, before the guest resumes.
 */
export async function forkRunningVm(p: ForkPaths, switched: () => void, timeoutMs = 120_000): Promise<void> {
  const stream = receiveStream(p.streamSocket, p.stateFile);
  try {
    await stream.listening;
    await withQmp(p.qmp, async (q) => {
      const st = await q.execute<{ status: string }>('query-status');
      if (st.status !== 'running') throw failed(`the VM is ${st.status}, not running`);
      await q.execute('migrate-set-parameters', { 'max-bandwidth': 64 * 1024 * 1024 * 1024 });
      await q.execute('migrate', { uri: `unix:${p.streamSocket}` });
      try {
        await waitMigrated(q, timeoutMs);
        await stream.done;
        await q.execute('blockdev-snapshot-sync', { device: 'root', 'snapshot-file': p.newOverlay, format: 'qcow2' });
        switched();
      } finally {
        // Completed (postmigrate) or not: the source must run on. After a failure QEMU resumed it already.
        const now = await q.execute<{ status: string }>('query-status');
        if (now.status === 'postmigrate') await q.execute('cont');
      }
    });
  } finally {
    stream.close();
  }
}
