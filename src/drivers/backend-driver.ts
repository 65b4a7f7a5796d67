/**
 * A Driver made from a backend's descriptor: probe, capabilities, validation and enforcement
 * come from the descriptor (small data, on the hot path); every operation loads the backend's
 * code on first use and is forwarded to it. The forwarding is derived from OPERATIONS, which
 * the type checker holds to exactly the keys of DriverOps: an operation added to the contract
 * and not forwarded does not compile (ADR 0031).
 */
import type { EnvStore } from '../core/env-store.js';
import type { BackendDescriptor, Driver, DriverOps, Probe } from './driver.js';
import { capabilityProblems, type BackendFacts } from './capability-problems.js';

/** Every operation of the contract, once. */
export const OPERATIONS = {
  create: true,
  start: true,
  exec: true,
  signal: true,
  openStdin: true,
  resize: true,
  stop: true,
  remove: true,
  wait: true,
  inspect: true,
  recover: true,
  stats: true,
  processes: true,
  pause: true,
  resume: true,
  checkpoint: true,
  restore: true,
  saveTemplate: true,
  machine: true,
} as const satisfies Record<keyof DriverOps, true>;

type Forwarded = { [K in keyof DriverOps]: DriverOps[K] };

function forward(load: () => Promise<DriverOps>): Forwarded {
  const ops: Partial<Record<keyof DriverOps, (...args: never[]) => Promise<unknown>>> = {};
  for (const op of Object.keys(OPERATIONS) as (keyof DriverOps)[]) {
    ops[op] = async (...args: never[]) => {
      const d = await load();
      return (d[op] as (...a: never[]) => Promise<unknown>).apply(d, args);
    };
  }
  return ops as Forwarded;
}

/**
 * @param others the other backends, named in the fixes of capability problems
 */
export function driverFor(desc: BackendDescriptor, store: EnvStore, others: BackendFacts[]): Driver {
  let loaded: Promise<DriverOps> | undefined;
  const load = () => (loaded ??= Promise.resolve().then(() => desc.load(store)));
  return {
    ...forward(load),
    name: desc.name,
    probe: (): Promise<Probe> => desc.probe(store),
    capabilities: () => desc.capabilities,
    validate: (spec, rootless) => [...desc.validate(spec, rootless), ...capabilityProblems(desc, spec, others)],
    enforcement: (h) => desc.enforcement?.(store, h),
  };
}
