/** What an environment's network is, as recorded in <env>/network.json (shown by inspect). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PortMapping } from '../core/port-format.js';

export interface NetworkState {
  mode: 'none' | 'host' | 'user' | 'bridge';
  network?: string;
  interface?: string;
  ip?: string;
  prefix?: number;
  gateway?: string;
  ports: PortMapping[];
  /** --network user: which helper runs, and its pid (and start time, against pid reuse). */
  tool?: 'pasta' | 'slirp4netns' | 'slirp' | 'qemu';
  helperPid?: number;
  helperStart?: number;
  /** The host-side device on the bridge: a veth (shim backends) or a tap (VMs). */
  veth?: string;
  tap?: string;
  /** A VM's NIC address on a bridge network. */
  mac?: string;
  /** A bridge network: the MTU of the environment's interface. */
  mtu?: number;
  bridge?: string;
}

export const NETWORK_FILE = 'network.json';

export function readNetworkState(envDir: string): NetworkState | undefined {
  try {
    return JSON.parse(readFileSync(join(envDir, NETWORK_FILE), 'utf8')) as NetworkState;
  } catch {
    return undefined;
  }
}
