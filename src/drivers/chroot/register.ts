/** The chroot backend, described once: what it isolates, its probe, its own refusals and its driver. */
import type { BackendDescriptor } from '../driver.js';
import { networkProblems, SHIM_NETWORK_MODES } from '../common/network-validate.js';
import { ChrootDriver } from './chroot-driver.js';
import { probeChroot } from './chroot-probe.js';

export const chrootBackend: BackendDescriptor = {
  name: 'chroot',
  capabilities: {
    isolation: 'filesystem',
    separateKernel: false,
    rootless: true,
    exec: true,
    tty: true,
    pause: false,
    checkpoint: false,
    networkModes: SHIM_NETWORK_MODES,
    limits: { memory: false, cpus: false, pids: false },
    disk: false,
    summary:
      'chroot isolates the filesystem only (a copy-on-write overlay root and its own hostname); ' +
      'processes, users, IPC and resources are shared with the host, and so is the network unless --network ' +
      'asks for a namespace of its own (none, user, bridge, NAME)',
  },
  probe: (store) => probeChroot(store.paths.runtime),
  // Limits, --disk-size and --kernel: capability-problems.ts.
  validate: (spec, rootless) => networkProblems(spec, rootless),
  // On the hot path: loaded with this module.
  load: (store) => new ChrootDriver(store),
};
