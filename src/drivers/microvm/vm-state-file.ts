/**
 * A microvm's whole state (RAM and devices) to a file and back, for templates (ADR 0039).
 * QEMU 7.2 has no `file:` migration URI (8.2 added it), so the stream goes through `exec:`: out
 * with `cat > FILE`, in with `-incoming exec:cat FILE` on a QEMU started with the same machine
 * and devices. The guest is not stopped first: the stream records the run state, and a guest
 * saved paused would be resumed paused (QEMU's global state); an idle guest dirties few pages,
 * so the live pass converges at once and QEMU stops it for the last one itself.
 */
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

/** Write the guest's state to `file`; resolves once QEMU reports the migration complete (the guest is then stopped). */
export async function saveVmState(qmpSocket: string, file: string, timeoutMs = 120_000): Promise<void> {
  await withQmp(qmpSocket, async (q) => {
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
