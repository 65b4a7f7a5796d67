/** A process's resident memory, for tests that a slow reader does not make a process buffer. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** PID's resident memory in bytes, from /proc. */
export function rssOf(pid: number): number {
  const kb = /^VmRSS:\s*(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(kb, `process ${pid} is running`);
  return Number(kb[1]) * 1024;
}

/**
 * The bytes PID has read so far (rchar in /proc/PID/io: every read system call, from files and
 * sockets), for a reader's pace that garbage collection does not blur as it does a resident size.
 */
export function bytesReadBy(pid: number): number {
  const n = /^rchar:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  assert.ok(n, `process ${pid} is running`);
  return Number(n[1]);
}
