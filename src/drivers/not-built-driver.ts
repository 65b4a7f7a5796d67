/**
 * A backend whose driver is not built yet. Its probe says so honestly; every operation
 * refuses. The registry never selects it because its probe is not ok.
 */
import type { Capabilities, Driver, Handle, Probe, Problem } from './driver.js';
import { DriverError } from '../core/errors.js';

const PLANNED: Record<'uml' | 'microvm', Capabilities> = {
  uml: {
    isolation: 'kernel',
    separateKernel: true,
    rootless: true,
    exec: true,
    tty: true,
    pause: true,
    checkpoint: false,
    networkModes: ['none', 'user'],
    limits: { memory: true, cpus: false, pids: false },
    summary: 'User-mode Linux: a separate kernel as a process (planned)',
  },
  microvm: {
    isolation: 'kernel',
    separateKernel: true,
    rootless: true,
    exec: true,
    tty: true,
    pause: true,
    checkpoint: true,
    networkModes: ['none', 'user'],
    limits: { memory: true, cpus: true, pids: false },
    summary: 'QEMU microvm with KVM or TCG (planned)',
  },
};

export class NotBuiltDriver implements Driver {
  constructor(readonly name: 'uml' | 'microvm') {}

  async probe(): Promise<Probe> {
    return { ok: false, reason: 'not implemented yet', details: {} };
  }

  capabilities(): Capabilities {
    return PLANNED[this.name];
  }

  validate(): Problem[] {
    return [];
  }

  private refuse(): never {
    throw new DriverError('not-implemented', `the ${this.name} backend is not implemented yet`, {
      fix: 'use --backend chroot',
    });
  }

  create(): Promise<Handle> {
    return this.refuse();
  }
  start(): Promise<void> {
    return this.refuse();
  }
  exec(): never {
    return this.refuse();
  }
  signal(): never {
    return this.refuse();
  }
  stop(): never {
    return this.refuse();
  }
  remove(): never {
    return this.refuse();
  }
  wait(): never {
    return this.refuse();
  }
  inspect(): never {
    return this.refuse();
  }
  recover(): never {
    return this.refuse();
  }
}
