/**
 * The monitor of a default VM environment is the native berth-vmmon (ADR 0065), never the Node
 * fallback, and stays within 4 MiB resident: a change that made the fallback the default, or
 * the native monitor big, fails here. Run on an environment a check has already booted.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Runner } from '../helpers/berth-cli.js';

/** The goal of issue 19 for the monitor of one running VM environment. */
export const VM_MONITOR_MAX_RSS_KIB = 4096;

export function assertNativeVmMonitor(r: Runner, id: string): void {
  const { pid } = JSON.parse(readFileSync(join(r.root, 'envs', id, 'monitor.pid'), 'utf8')) as { pid: number };
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  assert.equal(basename(argv[0] ?? ''), 'berth-vmmon', `the VM monitor is berth-vmmon, not ${argv.join(' ')}`);
  const rss = Number(/^VmRSS:\s*(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  assert.ok(rss > 0 && rss <= VM_MONITOR_MAX_RSS_KIB, `the VM monitor is ${rss} KiB resident (at most 4 MiB)`);
}
