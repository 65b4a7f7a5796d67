/**
 * What a uml environment was built with (`uml.json` in its state dir): written at create
 * (uml-launch.ts), read by every operation on it (uml-driver.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VmBridge } from '../vm/vm-network.js';
import type { HostUser } from '../../host/uml-host-user.js';

export const UML_FILES = 'uml.json';

export interface UmlFiles {
  kernel: string;
  base: string;
  initrd: string;
  cow: string;
  /** Short runtime dir: the monitor's socket and UML's mconsole socket (unix paths are short). */
  runDir: string;
  umid: string;
  /** `--network user`: the slirp helper the kernel runs for eth0. */
  slirp?: string;
  /** The kernel's modules on the host (modprobe inside reads them through hostfs). */
  modules?: string;
  /** A bridge network: the tap on the berth bridge, the NIC's MAC, the guest's address. */
  bridge?: VmBridge;
  /** Root's environments: the unprivileged identity the kernel runs as (ADR 0046). */
  hostUser?: HostUser;
}

export function readUmlFiles(dir: string): UmlFiles {
  return JSON.parse(readFileSync(join(dir, UML_FILES), 'utf8')) as UmlFiles;
}
