/** `-p` for the microvm's `--network user`: the shared parse (src/network/port-spec.ts) as QEMU hostfwds. */
import type { PortMapping } from '../../core/port-format.js';
import type { PortForward } from './qemu-cmdline.js';

/** `-p` as parsed by src/network/port-spec.ts -> a QEMU hostfwd; no address = every local one, as on the other backends. */
export function toPortForward(p: PortMapping): PortForward {
  return { proto: p.protocol, hostAddr: p.hostIp ?? '0.0.0.0', hostPort: p.hostPort, guestPort: p.guestPort };
}
