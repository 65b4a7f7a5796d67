/** Kernel version, Yama ptrace scope (UML traces its own processes), and noexec mounts. */
import { realpathSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { type Finding, fail, guard, ok } from './finding.js';
import { isRootUser, readText } from './exec.js';
import { mountFor, parseMountinfo } from './mountinfo.js';

export function probeKernel(): Promise<Finding> {
  return guard('kernel', () => {
    const r = release();
    const m = /^(\d+)\.(\d+)/.exec(r);
    if (!m) return ok(`Linux ${r}`, r);
    const major = Number(m[1]);
    const minor = Number(m[2]);
    // Rootless overlayfs (userxattr) needs 5.11.
    const old = major < 5 || (major === 5 && minor < 11);
    return ok(`Linux ${r}${old ? ' (older than 5.11: no rootless overlayfs)' : ''}`, r);
  });
}

/**
 * kernel.yama.ptrace_scope: 0/1 fine (UML traces its children), 2 needs CAP_SYS_PTRACE (root),
 * 3 forbids ptrace entirely (UML cannot run).
 */
export function probePtraceScope(): Promise<Finding> {
  return guard('ptrace_scope', () => {
    const t = readText('/proc/sys/kernel/yama/ptrace_scope');
    if (t === undefined) return ok('Yama not enabled: classic ptrace permissions', 'none');
    const n = Number(t.trim());
    if (n <= 1) return ok(`ptrace_scope=${n}`, String(n));
    if (n === 2 && isRootUser()) return ok(`ptrace_scope=2 (admin only; root may ptrace)`, '2');
    return fail(
      `ptrace_scope=${n}: User-mode Linux cannot trace its processes${n === 2 ? ' (sysctl -w kernel.yama.ptrace_scope=1)' : ' (3 is irreversible until reboot)'}`,
      String(n),
    );
  });
}

/** Pure: is `path` on a noexec mount according to this mountinfo text? undefined if unknown. */
export function isNoexec(mountinfoText: string, path: string): boolean | undefined {
  const m = mountFor(parseMountinfo(mountinfoText), path);
  return m ? m.options.includes('noexec') : undefined;
}

/** Default runtime dir, as in core/paths (kept local so probes have no dependencies). */
function defaultRuntimeDir(): string {
  if (process.env.BERTH_ROOT) return `${process.env.BERTH_ROOT}/run`;
  if (isRootUser()) return '/run';
  return process.env.XDG_RUNTIME_DIR || tmpdir();
}

/** Whether /tmp and the runtime dir are mounted noexec (berth runs helpers from there). */
export function probeNoexec(paths: string[] = ['/tmp', tmpdir(), defaultRuntimeDir()]): Promise<Finding> {
  return guard('noexec', () => {
    const text = readText('/proc/self/mountinfo');
    if (text === undefined) return fail('cannot read /proc/self/mountinfo');
    const bad: string[] = [];
    const good: string[] = [];
    for (const p of [...new Set(paths)]) {
      let real = p;
      try {
        real = realpathSync(p);
      } catch {
        /* not created yet: judge by its path */
      }
      const mp = mountFor(parseMountinfo(text), real)?.mountPoint ?? '?';
      (isNoexec(text, real) ? bad : good).push(`${p} (on ${mp})`);
    }
    if (bad.length) return fail(`noexec: ${bad.join(', ')}; exec allowed: ${good.join(', ') || 'none'}`, bad.join(','));
    return ok(`exec allowed: ${good.join(', ')}`);
  });
}
