/**
 * User namespaces usable by the current user: the sysctls that commonly forbid them, then a real
 * try (`unshare --user --map-root-user true`), which is what decides.
 */
import { type Finding, fail, guard, ok } from './finding.js';
import { findExecutable, firstLine, isRootUser, readText, run } from './exec.js';

function sysctl(path: string): number | undefined {
  const t = readText(path);
  if (t === undefined) return undefined;
  const n = Number(t.trim());
  return Number.isFinite(n) ? n : undefined;
}

export function probeUserNamespaces(): Promise<Finding> {
  return guard('user namespaces', async () => {
    const notes: string[] = [];
    const max = sysctl('/proc/sys/user/max_user_namespaces');
    if (max !== undefined) {
      if (max <= 0)
        return fail(
          'user namespaces disabled: user.max_user_namespaces = 0 (sysctl -w user.max_user_namespaces=15000)',
        );
      notes.push(`max_user_namespaces=${max}`);
    }
    const root = isRootUser();
    const clone = sysctl('/proc/sys/kernel/unprivileged_userns_clone');
    if (clone !== undefined) {
      notes.push(`unprivileged_userns_clone=${clone}`);
      if (clone === 0 && !root) {
        return fail(
          'unprivileged user namespaces disabled: kernel.unprivileged_userns_clone = 0 (sysctl -w kernel.unprivileged_userns_clone=1)',
        );
      }
    }
    const aa = sysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
    if (aa !== undefined) notes.push(`apparmor_restrict_unprivileged_userns=${aa}`);

    const unshare = findExecutable('unshare');
    if (!unshare) return fail('cannot try: unshare not installed (apt-get install util-linux)');
    const r = await run([unshare, '--user', '--map-root-user', 'true'], { timeoutMs: 5000 });
    const extra = notes.length ? ` (${notes.join(', ')})` : '';
    if (r.status === 0) return ok(`usable: unshare --user --map-root-user works${extra}`);
    let why = firstLine(r) || `exit status ${r.status ?? r.signal}`;
    if (aa === 1 && !root)
      why +=
        '; AppArmor restricts unprivileged user namespaces (sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile)';
    return fail(`not usable: unshare --user --map-root-user failed: ${why}${extra}`);
  });
}
