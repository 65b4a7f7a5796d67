/**
 * The guest init's work per session stays small (ADR 0071): PID 1's page faults from one exec to
 * the next. Clearing its 3.3 MiB START buffer, written again after every fork (copy-on-write),
 * cost about 830 faults per exec, 200 ms in a uml guest; now it is about 15. Page faults, not
 * time: the count does not move with the host's load. Run on an environment a check has booted.
 */
import assert from 'node:assert/strict';
import type { Runner } from '../helpers/berth-cli.js';

/** Well above what one exec costs PID 1 now, well below the 830 of a cleared START buffer. */
export const INIT_FAULTS_PER_EXEC_MAX = 200;

async function initMinorFaults(r: Runner, env: string): Promise<number> {
  const res = await r.run(['exec', env, '--', 'cat', '/proc/1/stat']);
  assert.equal(res.code, 0, res.stderr);
  // After "(comm) ": state ppid pgrp session tty_nr tpgid flags minflt ...
  const fields = res.stdout.slice(res.stdout.lastIndexOf(')') + 2).split(' ');
  const minflt = Number(fields[7]);
  assert.ok(Number.isInteger(minflt), `minflt of PID 1 in: ${res.stdout}`);
  return minflt;
}

export async function assertFewInitFaultsPerExec(r: Runner, env: string): Promise<void> {
  const first = await initMinorFaults(r, env);
  const second = await initMinorFaults(r, env);
  const perExec = second - first;
  assert.ok(
    perExec >= 0 && perExec <= INIT_FAULTS_PER_EXEC_MAX,
    `one exec cost the guest init ${perExec} page faults (at most ${INIT_FAULTS_PER_EXEC_MAX})`,
  );
}
