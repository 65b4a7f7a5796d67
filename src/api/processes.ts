/** The processes of an environment (`berth top`): host processes of a shim backend, the guest's own of a VM. */
export { processesInMountNs, type EnvProcess } from '../host/ns-processes.js';
