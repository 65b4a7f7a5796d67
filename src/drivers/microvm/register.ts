/**
 * The microvm backend, described once. Its driver and probe are cold: they load on first use,
 * so the hot `run` of the shim backends never carries them (ADR 0002; scripts/bundle.mjs).
 */
import type { BackendDescriptor } from '../driver.js';
import { MICROVM_CAPABILITIES, microvmEnforcement, validateMicrovm } from './microvm-capabilities.js';

export const microvmBackend: BackendDescriptor = {
  name: 'microvm',
  capabilities: MICROVM_CAPABILITIES,
  probe: async () => (await import('./microvm-probe.js')).probeMicrovm(),
  validate: (spec, rootless) => validateMicrovm(spec, undefined, rootless),
  enforcement: (store, h) => {
    const record = store.readRecord(h.id);
    return record ? microvmEnforcement(record.spec) : undefined;
  },
  load: async (store) => new (await import('./microvm-driver.js')).MicrovmDriver(store),
};
