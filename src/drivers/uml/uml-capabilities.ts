/** What the uml backend offers and its own refusals (data, loaded on the hot path without the driver; limits it cannot enforce: capability-problems.ts). */
import type { Capabilities, Problem } from '../driver.js';
import { MiB, type ResolvedSpec } from '../../core/resolved-spec.js';
import { vmNetworkProblems } from '../common/network-validate.js';
import { VM_CAPABILITIES } from '../vm/vm-capabilities.js';
import { guestMemoryMiB, memoryFloorProblems } from '../vm/guest-memory.js';

export const UML_CAPABILITIES: Capabilities = {
  ...VM_CAPABILITIES,
  checkpoint: false,
  limits: { memory: true, cpus: false, pids: false },
  summary:
    'User-mode Linux: the command runs on its own Linux kernel (a host process of the calling user), on a copy-on-write disk over the image; no network, slirp user networking, or (root) a tap on a berth bridge network',
  // Measured on a plain linux.uml boot without berth (docs/adr/0059-microvm-virtiofs-shares-and-uml-signals.md).
  knownLimits: [
    "the uml kernel does not interrupt a send() blocked on a full socket for a signal (a setitimer/alarm SIGALRM during Python's socket.sendall hangs it; CPython's test_sendall_interrupted hangs): use a timeout on the socket, or the container or microvm backend",
    // berth's own boot choice (uml-cmdline.ts, ADR 0077).
    'the guest kernel does not set up its RAID6 algorithms (a 0.85 s benchmark skipped at boot): btrfs RAID5/6 and md RAID4/5/6 do not work in a uml guest; use the microvm backend for them',
  ],
};

/**
 * Below this the uml kernel does not boot reliably: measured with busybox (`run --memory M -- sh -c
 * 'echo ok'`), 24m panicked 4 of 4 times ("Failed to allocate ... for node 0 memory map"), 32m 2 of 4
 * and 36m 1 of 4 ("System is deadlocked on memory"); 40m and 48m booted 5 of 5. 48m leaves a margin.
 */
export const UML_MEMORY_FLOOR = 48 * MiB;

export function validateUml(spec: ResolvedSpec, rootless = false): Problem[] {
  const p: Problem[] = [];
  for (const m of spec.mounts) {
    // hostfs takes the host path as its mount option string: a comma would split it.
    if (m.source.includes(',') || m.target.includes(':')) {
      p.push({
        field: 'volume',
        message: `the uml backend cannot share "${m.source}" at "${m.target}" (no "," in the host path, no ":" in the target)`,
        fix: 'rename or link the directory',
      });
    }
  }
  // none: the guest's loopback only; user: slirp (docs/adr/0024); bridges: a tap (docs/adr/0025).
  p.push(...vmNetworkProblems(spec, rootless, 'uml'));
  for (const port of spec.resolved.network.kind === 'user' ? spec.ports : []) {
    // With slirp the monitor carries published ports over the guest protocol (TCP streams only);
    // on a bridge network they are nftables DNAT rules, UDP included.
    if (port.protocol !== 'tcp') {
      p.push({
        field: 'publish',
        message: `the uml backend publishes TCP ports only (-p ${port.hostPort}:${port.guestPort}/${port.protocol})`,
        fix: 'publish a TCP port, use a bridge network (root), or --backend microvm or container for UDP',
      });
    }
  }
  p.push(...memoryFloorProblems(spec, 'uml', UML_MEMORY_FLOOR, 'a uml kernel'));
  return p;
}

/** What `inspect` shows under limits: the guest's RAM is the memory limit; nothing else is enforced. */
export function umlEnforcement(spec: ResolvedSpec): Record<string, string> {
  return {
    memory: `the guest kernel's RAM (linux.uml mem=${guestMemoryMiB(spec)}M): the guest cannot use more`,
    cpus: 'not enforced (one host CPU at most: the uml kernel is not SMP)',
    pids: 'not enforced (the guest has its own pid space)',
  };
}
