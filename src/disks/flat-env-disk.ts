/**
 * An environment's disk as one plain ext4 file that rootless tools (debugfs) can read, and the
 * base disk it was made over: what `berth commit` of a VM environment diffs (ADR 0058).
 *
 * - uml: the base copied sparse with the COW file's sectors over it (uml-cow-flatten.ts);
 * - microvm: `qemu-img convert -U -O raw` of the qcow2 overlay (through a template's frozen disk
 *   when the environment is a clone); the base is the raw file at the bottom of its backing chain.
 *
 * Then the copy's ext4 journal is replayed (`e2fsck -E journal_only`): a guest that was killed or
 * is paused may have committed metadata only to the journal, which debugfs would not see.
 */
import { chownSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiskError } from '../core/errors.js';
import { diskTool, runDiskTool } from '../host/disk-tools.js';
import type { HostUser } from '../host/uml-host-user.js';
import { runWithFds } from '../host/run-with-fds.js';
import { flattenUmlCow } from './uml-cow-flatten.js';
import { UML_COW_NAME } from './uml-cow.js';

export interface FlatEnvDisk {
  /** The environment's file system, flattened (the caller removes it); the base itself when never started. */
  changed: string;
  /** The read-only base disk the environment's disk was made over. */
  base: string;
}

/** The raw file at the bottom of a qcow2's backing chain (`qemu-img info --backing-chain`). */
export function rawBaseOfChain(json: string): string | undefined {
  const chain = JSON.parse(json) as { filename?: string; format?: string }[];
  const last = chain.at(-1);
  return last?.format === 'raw' ? last.filename : undefined;
}

async function replayJournal(file: string, as?: HostUser): Promise<void> {
  // 0: clean, 1: the journal was replayed (errors corrected); anything else is a real problem.
  // As root, the guest's disk is parsed by the environment's unprivileged identity, handed the
  // copy as fd 3 (ext4-tree.ts says why).
  const fd = as ? openSync(file, 'r+') : undefined;
  try {
    if (as) chownSync(file, as.uid, as.gid);
    const r = await runWithFds(
      [diskTool('e2fsck'), '-E', 'journal_only', '-p', fd === undefined ? file : '/proc/self/fd/3'],
      { timeoutMs: 10 * 60_000, ...(as ? { uid: as.uid, gid: as.gid, fds: [fd!] } : {}) },
    );
    if (r.code !== 0 && r.code !== 1) {
      throw new DiskError(
        'disk-journal',
        `replaying the journal of the environment's disk failed: ${(r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.code}`}`,
        { fix: 'start and stop the environment once (the guest checks its disk), then commit again' },
      );
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Flatten the disk of the environment in `envDir` (a uml or microvm one) into `into`. */
export async function flattenEnvDisk(
  backend: 'uml' | 'microvm',
  envDir: string,
  into: string,
  as?: HostUser,
): Promise<FlatEnvDisk> {
  let base: string | undefined;
  if (backend === 'uml') {
    const cow = join(envDir, 'uml', UML_COW_NAME);
    if (!existsSync(cow)) {
      // Never started: uml makes the COW file at boot, so nothing was written; the disk is the base.
      base = (JSON.parse(readFileSync(join(envDir, 'uml.json'), 'utf8')) as { base: string }).base;
      return { changed: base, base };
    }
    base = await flattenUmlCow(cow, into);
  } else {
    const overlay = join(envDir, 'disk.qcow2');
    const qemuImg = diskTool('qemu-img');
    const info = await runDiskTool(
      [qemuImg, 'info', '-U', '--backing-chain', '--output=json', overlay],
      'qemu-img info (the environment disk)',
    );
    base = rawBaseOfChain(info.stdout);
    if (!base)
      throw new DiskError('no-raw-base', `the disk ${overlay} has no raw base at the end of its backing chain`, {
        fix: 'recreate the environment',
      });
    await runDiskTool(
      [qemuImg, 'convert', '-U', '-q', '-f', 'qcow2', '-O', 'raw', overlay, into],
      'qemu-img convert (the environment disk)',
    );
  }
  await replayJournal(into, as);
  return { changed: into, base };
}
