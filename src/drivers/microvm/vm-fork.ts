/**
 * `template create NAME --from ENV` on microvm (ADR 0064): the running guest's state is saved
 * while it keeps running. All through the VM's QMP socket:
 *
 * 1. `migrate` to a unix socket this process listens on and copies to the state file. The guest
 *    runs during the live passes; QEMU stops it for the last one (the stream records it running,
 *    so clones resume running). If this process dies, the stream breaks, the migration fails and
 *    QEMU resumes the guest by itself: a killed fork leaves the source running.
 * 2. The migration pauses before the switchover (QEMU's pause-before-switchover): the guest is
 *    stopped, its devices not yet written. Unless every vCPU was stopped halted (the guest idle,
 *    as a template build is saved), the migration is cancelled, QEMU resumes the guest, and it is
 *    tried again (ADR 0068 addendum: clones of a guest stopped elsewhere could panic on resume).
 * 3. Once the migration completed (the guest stopped, its disk flushed), `blockdev-snapshot-sync`
 *    makes the current overlay the frozen read-only layer and gives the guest a new one on top:
 *    the frozen layer is exactly the disk the saved memory belongs to.
 * 4. `cont`: the source runs on, writing to its new overlay.
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
      // Destroyed (a cancelled try): the file is closed all the same, so `done` settles.
      c.once('close', () => out.end());
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

/** Wait until the migration is in one of `want`; failed or cancelled (unless wanted) is an error. */
async function waitMigration(q: QmpClient, want: string[], deadline: number): Promise<string> {
  for (;;) {
    const m = await q.execute<MigrateInfo>('query-migrate');
    const st = m.status ?? 'none';
    if (want.includes(st)) return st;
    if (st === 'failed' || st === 'cancelled') throw failed(m['error-desc'] ?? st);
    if (Date.now() > deadline) {
      await q.execute('migrate_cancel').catch(() => undefined);
      throw failed('the migration did not finish in time');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `info registers -a` (HMP): true when every vCPU it lists is halted (HLT=1). Pure. */
export function allCpusHalted(registers: string): boolean {
  const flags = [...registers.matchAll(/\bHLT=(\d)/g)].map((m) => m[1]);
  return flags.length > 0 && flags.every((f) => f === '1');
}

const PAUSE_BEFORE_SWITCHOVER = 'pause-before-switchover';
/** Tries for a stop with every vCPU idle; the last one is taken wherever the guest stopped. */
const IDLE_TRIES = 12;

/**
 * Save the running VM to `p.stateFile` and freeze its disk (returns once it runs again).
 * `switched` is called once the new overlay is the VM's top image, before the guest resumes.
 */
export async function forkRunningVm(p: ForkPaths, switched: () => void, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await withQmp(p.qmp, async (q) => {
    const st = await q.execute<{ status: string }>('query-status');
    if (st.status !== 'running') throw failed(`the VM is ${st.status}, not running`);
    await q.execute('migrate-set-parameters', { 'max-bandwidth': 64 * 1024 * 1024 * 1024 });
    const pause = (state: boolean) =>
      q.execute('migrate-set-capabilities', { capabilities: [{ capability: PAUSE_BEFORE_SWITCHOVER, state }] });
    await pause(true);
    try {
      for (let tryNo = 1; ; tryNo++) {
        const stream = receiveStream(p.streamSocket, p.stateFile);
        stream.done.catch(() => undefined); // awaited below where it matters; never unhandled
        try {
          await stream.listening;
          await q.execute('migrate', { uri: `unix:${p.streamSocket}` });
          await waitMigration(q, ['pre-switchover'], deadline);
          const idle = allCpusHalted(
            await q.execute<string>('human-monitor-command', { 'command-line': 'info registers -a' }),
          );
          if (!idle && tryNo < IDLE_TRIES) {
            // Cancelled, QEMU resumes the guest by itself; a moment later it is likely idle.
            await q.execute('migrate_cancel');
            await waitMigration(q, ['cancelled', 'failed'], deadline).catch(() => undefined);
            stream.close();
            // The next try truncates the same file: this one's writes end first.
            await Promise.race([stream.done.catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
            await new Promise((r) => setTimeout(r, 20));
            continue;
          }
          await q.execute('migrate-continue', { state: 'pre-switchover' });
          await waitMigration(q, ['completed'], deadline);
          await stream.done;
          await q.execute('blockdev-snapshot-sync', { device: 'root', 'snapshot-file': p.newOverlay, format: 'qcow2' });
          switched();
          return;
        } finally {
          stream.close();
        }
      }
    } finally {
      // An error while QEMU held the guest before the switchover: cancelled, QEMU resumes it.
      const m = await q.execute<MigrateInfo>('query-migrate').catch((): MigrateInfo => ({}));
      if (m.status === 'pre-switchover' || m.status === 'active' || m.status === 'device') {
        await q.execute('migrate_cancel').catch(() => undefined);
        await waitMigration(q, ['cancelled', 'failed', 'completed'], Date.now() + 10_000).catch(() => undefined);
      }
      // Completed (postmigrate) or not: the source must run on. After a failure QEMU resumed it already.
      const now = await q.execute<{ status: string }>('query-status');
      if (now.status === 'postmigrate') await q.execute('cont');
      await pause(false).catch(() => undefined);
    }
  });
}
