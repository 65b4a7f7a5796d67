/** Does the container backend work here? The chroot prerequisites, plus pid/net/ipc/cgroup namespaces, and the shim's container options. */
import { spawnSync } from 'node:child_process';
import type { Probe } from '../driver.js';
import { probeChroot } from '../chroot/chroot-probe.js';
import { cached } from '../../host/probe-cache.js';
import { namespaceInputs } from '../../host/probe-inputs.js';
import { readCgroupHost, planCgroups } from '../../host/cgroups/index.js';

export async function probeContainer(runtimeDir: string): Promise<Probe> {
  const base = await probeChroot(runtimeDir);
  if (!base.ok) return base;
  const uid = process.getuid?.() ?? 0;
  // The real try is cached (keyed by its inputs); the cgroup facts are cheap reads, always current.
  const ns = await cached(runtimeDir, `container-ns-${uid}`, namespaceInputs(), async () => {
    // A real try: the namespaces a container needs, as this user.
    const args =
      uid === 0
        ? ['--pid', '--fork', '--net', '--ipc', '--uts', '--cgroup', '--mount', 'true']
        : ['--user', '--map-root-user', '--pid', '--fork', '--net', '--ipc', '--uts', '--cgroup', '--mount', 'true'];
    const r = spawnSync('unshare', args, { encoding: 'utf8', timeout: 10_000 });
    return {
      ok: r.status === 0,
      detail:
        r.status === 0
          ? 'pid, net, ipc, uts, cgroup and mount namespaces work'
          : `unshare failed: ${(r.stderr || r.error?.message || '').trim()}`,
    };
  });
  const details: Probe['details'] = { ...base.details, namespaces: ns.detail };
  if (!ns.ok) return { ok: false, reason: ns.detail, details };
  const plan = planCgroups(readCgroupHost(), 'probe', { memoryBytes: 64 << 20, cpus: 1, pidsLimit: 64 });
  details.cgroups =
    plan.unenforceable.length === 0
      ? 'memory, cpu and pids limits can be enforced'
      : `cannot enforce: ${plan.unenforceable.map((u) => `${u.limit} (${u.reason})`).join('; ')}`;
  return { ok: true, reason: '', details };
}
