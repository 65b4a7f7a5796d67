/**
 * CRIU, which container checkpoints would need (issue 13, item 4; docs/adr/0061): installed, run
 * as root, and `criu check` passing on this kernel. `criu check` is CRIU's own verdict on the
 * running kernel; its first error line is the reason shown (e.g. a vDSO layout it does not know).
 */
import { type Finding, fail, guard, ok } from './finding.js';
import { findExecutable, run } from './exec.js';

/** Pure: the first "Error (...): TEXT" line of `criu check`, without CRIU's source location. */
export function criuCheckReason(output: string): string | undefined {
  const line = output.split('\n').find((l) => /^Error\b/.test(l));
  return line?.replace(/^Error\s*\([^)]*\):\s*/, '').trim() || undefined;
}

export function probeCriu(uid = process.getuid?.() ?? 0): Promise<Finding> {
  return guard('criu', async () => {
    const bin = findExecutable('criu');
    if (!bin) return fail('criu is not installed (Debian package criu): container checkpoints need it');
    const version = /Version:\s*(\S+)/.exec((await run([bin, '--version'])).stdout)?.[1] ?? 'unknown';
    if (uid !== 0) return fail(`criu ${version} checkpoints processes only as root`, version);
    const check = await run([bin, 'check'], { timeoutMs: 10_000 });
    if (check.status === 0) return ok(`criu ${version}: criu check passes on this kernel`, version);
    const why = criuCheckReason(`${check.stderr}\n${check.stdout}`) ?? check.error ?? `exit ${check.status}`;
    return fail(`criu ${version} does not work on this kernel (criu check: ${why})`, version);
  });
}
