/**
 * One-shot QMP operations on a running microvm: run/pause state, pause (stop), resume (cont),
 * quit, and checkpoints as internal qcow2 snapshots (HMP savevm/loadvm through
 * human-monitor-command: memory + device state + the overlay's disk in one snapshot, ADR 0023).
 */
import { QmpClient } from './qmp.js';
import { DriverError, SpecError } from '../../core/errors.js';

export async function withQmp<T>(socket: string, fn: (q: QmpClient) => Promise<T>): Promise<T> {
  const q = await QmpClient.connect(socket, 5000);
  try {
    return await fn(q);
  } finally {
    q.close();
  }
}

export interface QmpStatus {
  running: boolean;
  /** QEMU's RunState: running, paused, inmigrate, postmigrate, ... */
  status: string;
}

export function queryStatus(socket: string): Promise<QmpStatus> {
  return withQmp(socket, (q) => q.execute<QmpStatus>('query-status'));
}

const CHECKPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkCheckpointName(name: string): void {
  if (!CHECKPOINT_NAME.test(name)) {
    throw new SpecError('bad-checkpoint-name', `invalid checkpoint name "${name}"`, {
      fix: 'use letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)',
    });
  }
}

/** HMP answers errors as text; an empty answer is success. Pure. */
export function hmpFailure(output: string): string | undefined {
  const t = output.trim();
  if (t === '') return undefined;
  return /error|not found|does not|cannot|can't|no block device|failed/i.test(t) ? t.split('\n')[0] : undefined;
}

async function hmp(q: QmpClient, line: string): Promise<string> {
  return q.execute<string>('human-monitor-command', { 'command-line': line });
}

interface BlockInfo {
  inserted?: { image?: { snapshots?: { name: string }[] } };
}

/** The internal snapshots of the root disk's top image (the qcow2 overlay). */
export async function listCheckpoints(socket: string): Promise<string[]> {
  return withQmp(socket, async (q) => {
    const blocks = await q.execute<BlockInfo[]>('query-block');
    return blocks.flatMap((b) => b.inserted?.image?.snapshots ?? []).map((s) => s.name);
  });
}

export async function saveCheckpoint(socket: string, name: string): Promise<void> {
  checkCheckpointName(name);
  await withQmp(socket, async (q) => {
    const fail = hmpFailure(await hmp(q, `savevm ${name}`));
    if (fail)
      throw new DriverError('checkpoint-failed', `checkpoint ${name} failed: ${fail}`, {
        fix: "see the environment's console log (berth logs)",
      });
  });
}

export async function loadCheckpoint(socket: string, name: string): Promise<void> {
  checkCheckpointName(name);
  const have = await listCheckpoints(socket);
  if (!have.includes(name)) {
    throw new SpecError('no-such-checkpoint', `no checkpoint named "${name}"`, {
      fix: have.length > 0 ? `use one of: ${have.join(', ')}` : 'make one first: berth checkpoint ENV NAME',
    });
  }
  await withQmp(socket, async (q) => {
    const fail = hmpFailure(await hmp(q, `loadvm ${name}`));
    if (fail)
      throw new DriverError('restore-failed', `restoring checkpoint ${name} failed: ${fail}`, {
        fix: "see the environment's console log (berth logs)",
      });
    // loadvm keeps a stopped VM stopped (a paused environment): a restored one runs on from there.
    if (!(await q.execute<QmpStatus>('query-status')).running) await q.execute('cont');
  });
}
