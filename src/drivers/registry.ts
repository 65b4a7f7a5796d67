/**
 * Backend registry: probes the backends and picks one for a spec. A named backend (--backend,
 * BERTH_BACKEND, a config file: src/core/backend-setting.ts) is used or refused, never replaced;
 * `auto` tries the order of auto-order.ts (microvm with KVM, container, chroot; with --isolation
 * kernel: microvm with KVM, uml, microvm under TCG) and records why each earlier one was passed
 * over. Never gives weaker isolation than asked. The spec is resolved (src/core/resolved-spec.ts:
 * --network and -p's network, VM memory, --accel) for each backend considered, once, before its
 * validate() sees it; the chosen backend's resolved spec is what is recorded. Each backend is
 * described once, in its folder's register.ts (ADR 0031).
 */
import type { BackendDescriptor, Driver, Probe } from './driver.js';
import { BACKEND_NAMES, ISOLATION_ORDER, type BackendName, type EnvSpec, type IsolationLevel } from '../core/spec.js';
import type { EnvStore, BackendChoice } from '../core/env-store.js';
import type { Paths } from '../core/paths.js';
import type { Finding } from '../host/probes/finding.js';
import { probeKvm } from '../host/probes/kvm.js';
import { driverFor } from './backend-driver.js';
import { microvmBackend } from './microvm/register.js';
import { umlBackend } from './uml/register.js';
import { containerBackend } from './container/register.js';
import { chrootBackend } from './chroot/register.js';
import { autoCandidates, KERNEL_CANDIDATES, noKvmReason } from './auto-order.js';
import { resolveSpec, type ResolvedSpec } from '../core/resolved-spec.js';
import { DriverError, SpecError } from '../core/errors.js';

/** Every backend, strongest first (as BACKEND_NAMES). */
export const BACKENDS: readonly BackendDescriptor[] = [microvmBackend, umlBackend, containerBackend, chrootBackend];

export interface Selection {
  driver: Driver;
  choice: BackendChoice;
  /** The spec resolved for this backend (what is recorded). */
  spec: ResolvedSpec;
  /** Why --network was filled in (-p without --network), when it was. */
  networkDefault?: string;
}

/** /dev/kvm first (instant); only where it is present, the microvm boot probe (cached per host boot). */
async function hostKvm(paths: Paths): Promise<Finding> {
  const dev = await probeKvm();
  if (!dev.ok) return dev;
  return (await import('./microvm/kvm-auto.js')).kvmBoots(paths);
}

export class Registry {
  private readonly drivers: Map<BackendName, Driver>;
  /** Does KVM work for microvm here? (Replaceable: unit tests fake it.) */
  kvm: () => Promise<Finding>;
  private kvmVerdict: Promise<Finding> | undefined;

  constructor(store: EnvStore) {
    this.kvm = () => hostKvm(store.paths);
    this.drivers = new Map(
      BACKENDS.map((b) => [
        b.name,
        driverFor(
          b,
          store,
          BACKENDS.filter((o) => o !== b),
        ),
      ]),
    );
  }

  get(name: BackendName): Driver {
    const d = this.drivers.get(name);
    if (!d)
      throw new SpecError('bad-backend', `unknown backend "${name}"`, {
        fix: `use one of: auto, ${BACKEND_NAMES.join(', ')}`,
      });
    return d;
  }

  /** Strongest first. */
  all(): Driver[] {
    return BACKEND_NAMES.map((n) => this.get(n));
  }

  async probeAll(): Promise<{ name: BackendName; probe: Probe }[]> {
    return this.probeSome(BACKEND_NAMES);
  }

  /** The probes of some backends only (a matrix task needs its cell's alone). */
  async probeSome(names: readonly BackendName[]): Promise<{ name: BackendName; probe: Probe }[]> {
    return Promise.all(names.map(async (n) => ({ name: n, probe: await safeProbe(this.get(n)) })));
  }

  /** The KVM verdict, once per registry; never rejects. */
  kvmWorks(): Promise<Finding> {
    return (this.kvmVerdict ??= this.kvm().catch((e: Error) => ({ ok: false, detail: `probe failed: ${e.message}` })));
  }

  /**
   * @param source where spec.backend came from ('--backend', 'BERTH_BACKEND', a config file,
   *   'default'), recorded and named in errors
   */
  async select(
    spec: EnvSpec,
    rootless: boolean,
    source = spec.backend === 'auto' ? 'default' : '--backend',
  ): Promise<Selection> {
    const wanted: IsolationLevel = spec.isolation ?? 'filesystem';
    const atLeast = (d: Driver) =>
      ISOLATION_ORDER.indexOf(d.capabilities().isolation) >= ISOLATION_ORDER.indexOf(wanted);
    const fromFlag = source === '--backend';
    if (spec.backend !== 'auto') {
      const d = this.get(spec.backend);
      if (!atLeast(d)) {
        throw new SpecError(
          'weak-backend',
          `the ${d.name} backend${fromFlag ? '' : ` (from ${source})`} gives ${d.capabilities().isolation} isolation, less than --isolation ${wanted}`,
          {
            fix: fromFlag
              ? 'drop --isolation or pick a stronger --backend'
              : `pass --backend auto or a stronger --backend, or change ${source}`,
          },
        );
      }
      const p = await safeProbe(d);
      if (!p.ok) {
        throw new DriverError(
          'backend-unusable',
          `the ${d.name} backend${fromFlag ? '' : ` (from ${source})`} does not work here: ${p.reason}`,
          { fix: 'see "berth doctor", or use --backend auto' },
        );
      }
      const r = resolveSpec(spec, d.name, rootless);
      throwProblems(d, r.spec, rootless);
      return {
        driver: d,
        choice: { chosen: d.name, passedOver: [], requested: d.name, source },
        spec: r.spec,
        ...(r.why ? { networkDefault: r.why } : {}),
      };
    }
    const probes = new Map<BackendName, Promise<Probe>>();
    const probe = (d: Driver) => {
      let p = probes.get(d.name);
      if (!p) probes.set(d.name, (p = safeProbe(d)));
      return p;
    };
    const passedOver: BackendChoice['passedOver'] = [];
    let refused = false; // a backend that works here refused the spec: the spec is the problem
    for (const c of autoCandidates(spec)) {
      const d = this.get(c.backend);
      const p = await probe(d);
      if (!p.ok) {
        passedOver.push({ backend: d.name, reason: p.reason });
        continue;
      }
      if (c.needsKvm) {
        const k = await this.kvmWorks();
        if (!k.ok) {
          passedOver.push({ backend: d.name, reason: noKvmReason(k.detail) });
          continue;
        }
      }
      const r = resolveSpec(spec, d.name, rootless);
      const problems = d.validate(r.spec, rootless);
      if (problems.length > 0) {
        refused = true;
        passedOver.push({ backend: d.name, reason: problems.map((x) => x.message).join('; ') });
        continue;
      }
      const choice: BackendChoice = {
        chosen: d.name,
        passedOver,
        requested: 'auto',
        source,
        ...(spec.isolation ? { isolation: spec.isolation } : {}),
      };
      if (spec.isolation !== 'kernel') choice.kernelIsolation = await this.kernelIsolation(probe);
      return { driver: d, choice, spec: r.spec, ...(r.why ? { networkDefault: r.why } : {}) };
    }
    const why = passedOver.map((p) => `${p.backend}: ${p.reason}`).join('; ');
    throw new DriverError('no-backend', `no backend can run this here (${why})`, {
      fix:
        refused || spec.isolation === 'kernel' || spec.accel
          ? 'see "berth doctor"'
          : 'see "berth doctor"; a kernel of its own without KVM (uml, or microvm under TCG) only on request: --isolation kernel or --backend',
    });
  }

  /** What `--isolation kernel` would pick here (by the probes alone), or why nothing. */
  private async kernelIsolation(probe: (d: Driver) => Promise<Probe>): Promise<string> {
    const why: string[] = [];
    for (const c of KERNEL_CANDIDATES) {
      const p = await probe(this.get(c.backend));
      if (!p.ok) {
        if (!c.needsKvm) why.push(`${c.backend}: ${p.reason}`);
        continue;
      }
      if (c.needsKvm) {
        if ((await this.kvmWorks()).ok) return 'microvm (KVM)';
        continue;
      }
      return c.backend === 'microvm' ? 'microvm (TCG emulation, slower)' : c.backend;
    }
    return `nothing here (${why.join('; ')})`;
  }
}

function throwProblems(d: Driver, spec: ResolvedSpec, rootless: boolean): void {
  const problems = d.validate(spec, rootless);
  const first = problems[0];
  if (first) {
    throw new SpecError(`unsupported-${first.field}`, first.message, first.fix ? { fix: first.fix } : {});
  }
}

async function safeProbe(d: Driver): Promise<Probe> {
  try {
    return await d.probe();
  } catch (e) {
    return { ok: false, reason: `probe failed: ${(e as Error).message}`, details: {} };
  }
}
