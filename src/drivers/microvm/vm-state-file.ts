/**
 * A microvm's whole state (RAM and devices) to a file and back, for templates (ADR 0039).
 * QEMU 7.2 has no `file:` migration URI (8.2 added it), so the stream goes through `exec:`: out
 * with `cat > FILE`, in with `-incoming exec:cat FILE` on a QEMU started with the same machine
 * and devices. The guest is not stopped first: the stream records the run state, and a guest
 * saved paused would be resumed paused (QEMU's global state); an idle guest dirties few pages,
 * so the live pass converges at once and QEMU stops it for the last one itself.
 *
 * A template built with its RAM in a file (ADR 0066) saves with QEMU's x-ignore-shared
 * capability: the stream holds the device state only, the RAM stays in the file. A clone maps
 * that file privately and must set the same capability before it reads the stream, which QEMU
 * 7.2 allows only over QMP: it starts with `-incoming defer` and gets `migrate-incoming` here.
 * Its stream comes through a unix socket QEMU listens on, written from here (ADR 0068): an
 * `exec:` URI would have QEMU fork a shell and cat inside the command, 30-60 ms of a clone's start.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { withQmp } from './qmp-control.js';
import { DriverError } from '../../core/errors.js';

/** A path inside single quotes for `sh -c` (QEMU runs exec: URIs through /bin/sh). Pure. */
export function shellQuote(path: string): string {
  return `'${path.replace(/'/g, `'\\''`)}'`;
}

export const outgoingUri = (file: string) => `exec:cat > ${shellQuote(file)}`;
export const incomingUri = (file: string) => `exec:cat ${shellQuote(file)}`;

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

/** Write `data` to the unix socket at `path` and close it; resolves once it is all in the peer's queue. */
function sendStream(path: string, data: Buffer): Promise<void> {
  return new Promise((res, rej) => {
    const s = connect(path);
    s.once('error', rej);
    s.once('connect', () =>
      s.end(data, () => {
        s.destroy();
        res();
      }),
    );
  });
}

/**
 * A clone whose template keeps its RAM in a file: once its QEMU (started with `-incoming defer`)
 * answers QMP, set x-ignore-shared, have it listen on `streamSocket` for the device state and send
 * it `file`; QEMU then runs the guest by itself. Waits for the QMP socket while `alive()` (the monitor) holds.
 */
export async function loadVmStateDeferred(
  qmpSocket: string,
  file: string,
  streamSocket: string,
  alive: () => boolean,
  timeoutMs = 120_000,
): Promise<void> {
  const state = readFileSync(file);
  const deadline = Date.now() + timeoutMs;
  // QEMU makes the socket early in its start; until then a cheap stat, not a failing connect.
  while (!existsSync(qmpSocket) && alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    try {
      await withQmp(qmpSocket, async (q) => {
        await q.execute('migrate-set-capabilities', { capabilities: IGNORE_SHARED });
        // QEMU listens on it when the command returns; it ends the stream's socket, not its file.
        await q.execute('migrate-incoming', { uri: `unix:${streamSocket}` });
      });
      break;
    } catch (e) {
      const code = (e as { cause?: NodeJS.ErrnoException }).cause?.code;
      const early = code === 'ENOENT' || code === 'ECONNREFUSED';
      if (!early || !alive() || Date.now() > deadline) {
        throw new DriverError(
          'vm-state-load-failed',
          `resuming the template's VM state failed: ${(e as Error).message}`,
          {
            fix: "see the environment's console log (berth logs); rebuild the template if it persists",
          },
        );
      }
    }
    await new Promise((r) => setTimeout(r, wait));
  }
  try {
    await sendStream(streamSocket, state);
  } catch (e) {
    throw new DriverError('vm-state-load-failed', `resuming the template's VM state failed: ${(e as Error).message}`, {
      fix: "see the environment's console log (berth logs); rebuild the template if it persists",
    });
  } finally {
    rmSync(streamSocket, { force: true });
  }
}
