/**
 * A microvm's whole state (RAM and devices) to a file and back, for templates (ADR 0039).
 * QEMU 7.2 has no `file:` migration URI (8.2 added it), so the stream goes out through `exec:`
 * (`cat > FILE`), and comes in through a unix socket (resumeClone) on a QEMU started with the same
 * machine and devices and `-incoming defer`. The guest is not stopped first: the stream records the run state, and a guest
 * saved paused would be resumed paused (QEMU's global state); an idle guest dirties few pages,
 * so the live pass converges at once and QEMU stops it for the last one itself.
 *
 * A template built with its RAM in a file (ADR 0066) saves with QEMU's x-ignore-shared
 * capability: the stream holds the device state only, the RAM stays in the file. A clone maps
 * that file privately and must set the same capability before it reads the stream, which QEMU
 * 7.2 allows only over QMP, before `migrate-incoming`.
 * Its stream comes through a unix socket QEMU listens on, written from here (ADR 0068): an
 * `exec:` URI would have QEMU fork a shell and cat inside the command, 30-60 ms of a clone's start.
 */
import { createReadStream, existsSync, renameSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { withQmp } from './qmp-control.js';
import { DriverError } from '../../core/errors.js';

/** A path inside single quotes for `sh -c` (QEMU runs exec: URIs through /bin/sh). Pure. */
export function shellQuote(path: string): string {
  return `'${path.replace(/'/g, `'\\''`)}'`;
}

export const outgoingUri = (file: string) => `exec:cat > ${shellQuote(file)}`;

interface MigrateInfo {
  status?: string;
  'error-desc'?: string;
}

const IGNORE_SHARED = [{ capability: 'x-ignore-shared', state: true }];

/**
 * Write the guest's state to `file`; resolves once QEMU reports the migration complete (the guest
 * is then stopped). `ramInFile`: the guest's RAM is a shared memory file, left out of the stream.
 */
export async function saveVmState(qmpSocket: string, file: string, ramInFile: boolean, timeoutMs = 120_000) {
  await withQmp(qmpSocket, async (q) => {
    if (ramInFile) await q.execute('migrate-set-capabilities', { capabilities: IGNORE_SHARED });
    // The default cap (32 MiB/s) would make saving a 256 MiB guest take seconds for nothing.
    await q.execute('migrate-set-parameters', { 'max-bandwidth': 64 * 1024 * 1024 * 1024 });
    await q.execute('migrate', { uri: outgoingUri(file) });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await q.execute<MigrateInfo>('query-migrate');
      if (m.status === 'completed') return;
      if (m.status === 'failed' || m.status === 'cancelled' || Date.now() > deadline) {
        throw new DriverError(
          'vm-state-save-failed',
          `saving the VM state failed: ${m['error-desc'] ?? m.status ?? 'timed out'}`,
          { fix: "see the environment's console log (berth logs)" },
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });
}

/** Copy `file` into the unix socket at `path` and close it; resolves once it is all in the peer's queue. */
function sendStream(path: string, file: string): Promise<void> {
  return new Promise((res, rej) => {
    const s = connect(path);
    s.once('error', rej);
    s.once('connect', () => {
      const src = createReadStream(file, { highWaterMark: 1024 * 1024 });
      src.once('error', (e) => {
        s.destroy();
        rej(e);
      });
      src.once('end', () =>
        s.end(() => {
          s.destroy();
          res();
        }),
      );
      src.pipe(s, { end: false });
    });
  });
}

function loadFailed(e: unknown): DriverError {
  return new DriverError('vm-state-load-failed', `resuming the template's VM state failed: ${(e as Error).message}`, {
    fix: "see the environment's console log (berth logs); rebuild the template if it persists",
  });
}

export interface ResumePaths {
  qmp: string;
  /** The saved state (device state only when `ramInFile`, else RAM and devices). */
  state: string;
  /** A unix socket QEMU listens on for the stream. */
  stream: string;
  /** The control channel's socket as QEMU made it, and the name the monitor connects to. */
  ctl: { made: string; ready: string };
}

/**
 * A template clone, its QEMU started with `-incoming defer`: once it answers QMP, have it listen on
 * `p.stream` (x-ignore-shared first when its RAM is the template's file) and send it the state; once
 * the guest runs, rename the control channel's socket to the name the monitor connects to.
 *
 * Why the rename: QEMU serves its chardevs from the main loop while the incoming coroutine waits for
 * the stream. A monitor connected before the load ended had QEMU open the port and push IDENTITY
 * into virtqueues whose state was then overwritten by the rest of the stream: the resumed guest's
 * virtio interrupt found rings that disagreed with the device (a panic in the idle task, seen
 * under load with --from templates, whose stream holds all of RAM). Waits while `alive()` holds.
 */
export async function resumeClone(p: ResumePaths, ramInFile: boolean, alive: () => boolean, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  // QEMU makes the socket early in its start; until then a cheap stat, not a failing connect.
  while (!existsSync(p.qmp) && alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  let issued = false;
  try {
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      try {
        // One QMP session: the load, then the wait for the guest to run.
        await withQmp(p.qmp, async (q) => {
          issued = true;
          if (ramInFile) await q.execute('migrate-set-capabilities', { capabilities: IGNORE_SHARED });
          // QEMU listens on it when the command returns; it ends the stream's socket, not its file.
          await q.execute('migrate-incoming', { uri: `unix:${p.stream}` });
          await sendStream(p.stream, p.state);
          for (;;) {
            const st = await q.execute<{ status: string }>('query-status');
            if (st.status === 'running') return;
            if (st.status !== 'inmigrate' || !alive() || Date.now() > deadline)
              throw new Error(`the VM is ${st.status}${alive() ? '' : ' and its monitor ended'}`);
            await new Promise((r) => setTimeout(r, 1));
          }
        });
        break;
      } catch (e) {
        const code = (e as { cause?: NodeJS.ErrnoException }).cause?.code;
        // Only a QMP socket not yet accepting is retried: nothing was asked of QEMU then.
        const early = !issued && (code === 'ENOENT' || code === 'ECONNREFUSED');
        if (!early || !alive() || Date.now() > deadline) throw e;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
    renameSync(p.ctl.made, p.ctl.ready);
  } catch (e) {
    throw loadFailed(e);
  } finally {
    rmSync(p.stream, { force: true });
  }
}
