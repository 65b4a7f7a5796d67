/** What a microvm environment was created with (microvm.json in its state dir), and its sockets. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PortForward } from './qemu-cmdline.js';
import type { VmBridge } from '../vm/vm-network.js';

export interface MicrovmFiles {
  kernel: string;
  /** `uname -r` of the kernel, when known. */
  kernelRelease?: string;
  initrd: string;
  base: string;
  baseBytes: number;
  overlay: string;
  diskBytes: number;
  accel: 'kvm' | 'tcg';
  accelReason: string;
  network: 'none' | 'user' | 'bridge';
  /** network 'bridge': the tap on the berth bridge, the NIC's MAC, the guest's address. */
  bridge?: VmBridge;
  forwards: PortForward[];
  /** Short runtime dir (unix socket paths are limited to 107 bytes). */
  runDir: string;
  /**
   * A clone of a template: the template's name and saved VM state it resumes from, and the
   * template's RAM file when the state holds no RAM (ADR 0066).
   */
  template?: { name: string; state: string; memory?: string };
}

export const MICROVM_FILES = 'microvm.json';

export function readMicrovmFiles(dir: string): MicrovmFiles {
  return JSON.parse(readFileSync(join(dir, MICROVM_FILES), 'utf8')) as MicrovmFiles;
}

export const monitorSocket = (f: Pick<MicrovmFiles, 'runDir'>) => join(f.runDir, 'monitor.sock');
export const qmpSocket = (f: Pick<MicrovmFiles, 'runDir'>) => join(f.runDir, 'qmp.sock');
export const ctlSocket = (f: Pick<MicrovmFiles, 'runDir'>) => join(f.runDir, 'ctl.sock');
/** A clone's saved device state goes to its QEMU through this socket (vm-state-file.ts). */
export const incomingSocket = (f: Pick<MicrovmFiles, 'runDir'>) => join(f.runDir, 'incoming.sock');
