/** `berth doctor`: per backend whether it works here and why not, plus the host facts behind it. */
import type { Context } from './context.js';
import type { Capabilities, Probe } from '../drivers/driver.js';
import { defaultSpec, type BackendName } from '../core/spec.js';
import type { Finding } from '../host/probes/finding.js';
import { probeAll } from '../host/probes/index.js';
import { probeUserNet } from '../network/plumbing/user-net.js';
import { requestedBackend, type BackendRequest } from '../core/backend-setting.js';
import { describeChoice } from '../drivers/choice-text.js';
import { isBerthError } from '../core/errors.js';
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
  /** What a plain `run` would pick for a default spec (the backend setting, else auto), or 'none'. */
  autoChoice: string;
  /** That choice in one line: which, why, what --isolation kernel would give (or why none). */
  choice: string;
  /** Where the backend setting came from: '--backend' never; 'BERTH_BACKEND', a config file, or 'default'. */
  setting: { backend: string; source: string } | { error: string };
  /** What `--isolation kernel` picks here, or 'none'. */
  kernelChoice: string;
}

export async function runDoctor(ctx: Context, opts: DoctorOptions = {}): Promise<DoctorReport> {
  if (opts.refresh) clearProbeCache(ctx.paths.runtime);
  const [probes, host] = await Promise.all([ctx.registry.probeAll(), probeAll({ runtimeDir: ctx.paths.runtime })]);
  const backends = probes.map(({ name, probe }) => ({
    name,
    probe,
    capabilities: ctx.registry.get(name).capabilities(),
  }));
  // Exactly what `run` would do with a default spec (validate() may pass over a working backend).
  let setting: DoctorReport['setting'];
  let request: BackendRequest = { backend: 'auto', source: 'default' };
  try {
    request = requestedBackend(undefined);
    setting = { ...request };
  } catch (e) {
    setting = { error: isBerthError(e) ? e.oneLine() : String(e) };
  }
  const [chosen, kernel] = await Promise.all([
    ctx.registry.select(defaultSpec({ backend: request.backend }), ctx.rootless, request.source).then(
      (r) => ({ name: r.driver.name as string, text: describeChoice(r.choice) }),
      (e: Error) => ({ name: 'none', text: isBerthError(e) ? e.oneLine() : e.message }),
    ),
    ctx.registry.select(defaultSpec({ isolation: 'kernel' }), ctx.rootless).then(kernelName, () => 'none'),
  ]);
  return {
    user: { uid: process.getuid?.() ?? 0, rootless: ctx.rootless },
    paths: { data: ctx.paths.data, runtime: ctx.paths.runtime },
    backends,
    host: { ...host, 'network user': userNetFinding() },
    autoChoice: chosen.name,
    choice: chosen.text,
    setting,
    kernelChoice: kernel,
  };
}

/** Which helper `--network user` would use here, or why it cannot work. */
function userNetFinding(): Finding {
  const p = probeUserNet();
  return p.tool
    ? { ok: true, detail: `--network user uses ${p.tool}`, value: p.tool }
    : { ok: false, detail: p.reason };
}

/** uml, microvm (KVM) or microvm (TCG emulation, slower). */
function kernelName(r: { driver: { name: string }; choice: { passedOver: { backend: string }[] } }): string {
  if (r.driver.name !== 'microvm') return r.driver.name;
  return r.choice.passedOver.some((p) => p.backend === 'microvm') ? 'microvm (TCG emulation, slower)' : 'microvm (KVM)';
}
