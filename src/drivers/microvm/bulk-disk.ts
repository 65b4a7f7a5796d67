/**
 * microvm's bulk channel (ADR 0084): a raw file in the runtime dir (tmpfs on most hosts) that the
 * guest reads as a read-only virtio-blk disk. The native monitor writes a session's stdin into its
 * 1 MiB slots and names each with a BULK_IN frame; the guest init reads the slot with O_DIRECT,
 * one request per MiB instead of 256 virtio-serial buffers and their wakes. Made empty at every
 * start: its holes cost nothing until a slot is written, and a freed slot is punched out again.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One slot holds one bulk input (the guest protocol's BULK_CHUNK). */
export const BULK_SLOT_BYTES = 1024 * 1024;
/** Slots shared by every session (4 in flight per session: 8 sessions streaming at full speed). */
export const BULK_DISK_SLOTS = 32;

export const bulkDiskPath = (runDir: string) => join(runDir, 'bulk.disk');

/** An empty disk of BULK_DISK_SLOTS slots at `path`, owned by the caller (who runs QEMU and the monitor). */
export function makeBulkDisk(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'w', 0o600);
  try {
    ftruncateSync(fd, BULK_DISK_SLOTS * BULK_SLOT_BYTES);
  } finally {
    closeSync(fd);
  }
}
