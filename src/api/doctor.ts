/** `berth doctor`: per backend whether it works here and why not, plus the host facts behind it. */
import type { Context } from './context.js';
import type { Capabilities, Probe } from '../drivers/driver.js';
import { defaultSpec, type BackendName } from '../core/spec.js';
import type { Finding } from '../host/probes/finding.js';
import { probeAll } from '../host/probes/index.js';
import { probeUserNet } from '../host/net/user-net.js';
import { clearProbeCache } from '../host/probe-cache.js';

export interface DoctorOptions {
  /** Forget this boot's cached verdicts first: every real try runs again. */
  refresh?: boolean;
}

export interface DoctorReport {
  user: { uid: number; rootless: boolean };
  paths: { data: string; runtime: string };
  backends: { name: BackendName; probe: Probe; capabilities: Capabilities }[];
  host: Record<string, Finding>;
  /** What `--backend auto` would pick for a default spec. */
  autoChoice: string;
}

export async function runDoctor(ctx: Context, opts: DoctorOptions = {}): Promise<DoctorReport> {
  if (opts.refresh) clearProbeCache(ctx.paths.runtime);
  const [probes, host] = await Promise.all([ctx.registry.probeAll(), probeAll({ runtimeDir: ctx.paths.runtime })]);
  const backends = probes.map(({ name, probe }) => ({ name, probe, capabilities: ctx.registry.get(name).capabilities() }));
  // Exactly what `run` would do with a default spec (validate() may pass over a working backend).
  const auto = await ctx.registry.select(defaultSpec(), ctx.rootless).then((r) => r.driver.name as string, () => 'none');
  return {
    user: { uid: process.getuid?.() ?? 0, rootless: ctx.rootless },
    paths: { data: ctx.paths.data, runtime: ctx.paths.runtime },
    backends,
    host: { ...host, 'network user': userNetFinding() },
    autoChoice: auto,
  };
}

/** Which helper `--network user` would use here, or why it cannot work. */
function userNetFinding(): Finding {
  const p = probeUserNet();
  return p.tool ? { ok: true, detail: `--network user uses ${p.tool}`, value: p.tool } : { ok: false, detail: p.reason };
}
