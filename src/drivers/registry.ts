/**
 * Backend registry: probes every backend, picks the strongest one that works for a spec,
 * and records why each stronger one was passed over. Never gives weaker isolation than asked.
 */
import type { Driver, Probe } from './driver.js';
import { BACKEND_NAMES, ISOLATION_ORDER, type BackendName, type EnvSpec, type IsolationLevel } from '../core/spec.js';
import type { EnvStore, BackendChoice } from '../core/env-store.js';
import { ChrootDriver } from './chroot/chroot-driver.js';
import { ContainerDriver } from './container/container-driver.js';
import { LazyDriver } from './lazy-driver.js';
import { MICROVM_CAPABILITIES, microvmEnforcement, validateMicrovm } from './microvm/microvm-capabilities.js';
import { UML_CAPABILITIES, umlEnforcement, validateUml } from './uml/uml-capabilities.js';
import { DriverError, SpecError } from '../core/errors.js';

export class Registry {
  private readonly drivers: Map<BackendName, Driver>;

  constructor(store: EnvStore) {
    this.drivers = new Map<BackendName, Driver>([
      ['microvm', new LazyDriver('microvm', MICROVM_CAPABILITIES, (spec, rootless) => validateMicrovm(spec, undefined, rootless), async () => (await import('./microvm/microvm-driver.js')).makeMicrovmDriver(store),
        async () => (await import('./microvm/microvm-probe.js')).probeMicrovm(),
        (h) => microvmEnforcement(store.readRecord(h.id)?.spec))],
      ['uml', new LazyDriver('uml', UML_CAPABILITIES, (spec, rootless) => validateUml(spec, rootless), async () => (await import('./uml/uml-driver.js')).makeUmlDriver(store),
        async () => (await import('./uml/uml-probe.js')).probeUml(store.paths),
        (h) => umlEnforcement(store.readRecord(h.id)?.spec))],
      ['container', new ContainerDriver(store)],
      ['chroot', new ChrootDriver(store)],
    ]);
  }

  get(name: BackendName): Driver {
    const d = this.drivers.get(name);
    if (!d) throw new SpecError('bad-backend', `unknown backend "${name}"`, { fix: `use one of: auto, ${BACKEND_NAMES.join(', ')}` });
    return d;
  }

  /** Strongest first. */
  all(): Driver[] {
    return BACKEND_NAMES.map((n) => this.get(n));
  }

  async probeAll(): Promise<{ name: BackendName; probe: Probe }[]> {
    return Promise.all(this.all().map(async (d) => ({ name: d.name, probe: await safeProbe(d) })));
  }

  async select(spec: EnvSpec, rootless: boolean): Promise<{ driver: Driver; choice: BackendChoice }> {
    const wanted: IsolationLevel = spec.isolation ?? 'filesystem';
    const atLeast = (d: Driver) => ISOLATION_ORDER.indexOf(d.capabilities().isolation) >= ISOLATION_ORDER.indexOf(wanted);
    if (spec.backend !== 'auto') {
      const d = this.get(spec.backend);
      if (!atLeast(d)) {
        throw new SpecError('weak-backend', `the ${d.name} backend gives ${d.capabilities().isolation} isolation, less than --isolation ${wanted}`, {
          fix: 'drop --isolation or pick a stronger --backend',
        });
      }
      const p = await safeProbe(d);
      if (!p.ok) {
        throw new DriverError('backend-unusable', `the ${d.name} backend does not work here: ${p.reason}`, { fix: 'see "berth doctor", or use --backend auto' });
      }
      throwProblems(d, spec, rootless);
      return { driver: d, choice: { chosen: d.name, passedOver: [] } };
    }
    const passedOver: BackendChoice['passedOver'] = [];
    for (const d of this.all()) {
      if (!atLeast(d)) {
        passedOver.push({ backend: d.name, reason: `gives ${d.capabilities().isolation} isolation, less than --isolation ${wanted}` });
        continue;
      }
      const p = await safeProbe(d);
      if (!p.ok) {
        passedOver.push({ backend: d.name, reason: p.reason });
        continue;
      }
      const problems = d.validate(spec, rootless);
      if (problems.length > 0) {
        passedOver.push({ backend: d.name, reason: problems.map((x) => x.message).join('; ') });
        continue;
      }
      return { driver: d, choice: { chosen: d.name, passedOver } };
    }
    const why = passedOver.map((p) => `${p.backend}: ${p.reason}`).join('; ');
    throw new DriverError('no-backend', `no backend can run this here (${why})`, { fix: 'see "berth doctor"' });
  }
}

function throwProblems(d: Driver, spec: EnvSpec, rootless: boolean): void {
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
