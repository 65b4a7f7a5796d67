/**
 * The uml backend, described once. Its driver and probe are cold: they load on first use, so
 * the hot `run` of the shim backends never carries them (ADR 0002; scripts/bundle.mjs).
 */
import type { BackendDescriptor } from '../driver.js';
import { UML_CAPABILITIES, umlEnforcement, validateUml } from './uml-capabilities.js';

export const umlBackend: BackendDescriptor = {
  name: 'uml',
  capabilities: UML_CAPABILITIES,
  probe: async (store) => (await import('./uml-probe.js')).probeUml(store.paths),
  validate: (spec, rootless) => validateUml(spec, rootless),
  enforcement: (store, h) => {
    const record = store.readRecord(h.id);
    return record ? umlEnforcement(record.spec) : undefined;
  },
  load: async (store) => new (await import('./uml-driver.js')).UmlDriver(store),
};
