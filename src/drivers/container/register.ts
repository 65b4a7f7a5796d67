/** The container backend, described once: what it isolates, its probe, its own refusals and its driver. */
import type { BackendDescriptor } from '../driver.js';
import { SHIM_NETWORK_MODES } from '../common/network-validate.js';
import { ContainerDriver, containerEnforcement } from './container-driver.js';
import { probeContainer } from './container-probe.js';
import { validateContainer } from './container-validate.js';

export const containerBackend: BackendDescriptor = {
  name: 'container',
  capabilities: {
    isolation: 'namespaces',
    separateKernel: false,
    rootless: true,
    exec: true,
    tty: true,
    pause: true,
    checkpoint: false,
    networkModes: SHIM_NETWORK_MODES,
    limits: { memory: true, cpus: true, pids: true },
    disk: false,
    summary:
      'container isolates processes (own pid namespace, berth init as PID 1), network (only lo unless --network says otherwise), IPC, hostname and ' +
      "cgroups, with a copy-on-write root, reduced capabilities, no_new_privs and a seccomp filter; the kernel is the host's",
  },
  probe: (store) => probeContainer(store.paths.runtime),
  validate: validateContainer,
  enforcement: containerEnforcement,
  // On the hot path: loaded with this module.
  load: (store) => new ContainerDriver(store),
};
