/** What both VM backends offer (data, on the hot path: the backends' register.ts read it without the VM base). */
import type { Capabilities } from '../driver.js';
import { VM_NETWORK_MODES } from '../common/network-validate.js';

export const VM_CAPABILITIES = {
  isolation: 'kernel',
  separateKernel: true,
  disk: true,
  rootless: true,
  exec: true,
  tty: true,
  pause: true,
  networkModes: VM_NETWORK_MODES,
} as const satisfies Partial<Capabilities>;
