/**
 * Named subsets of the conformance checks, chosen with BERTH_TEST_SUBSET=NAME. `node-versions` is
 * what the passes on the other supported Node versions run on every backend (ADR 0027): the checks
 * that lean on Node itself (child processes and stdio, exit statuses, signals, a pty, detached
 * monitors and log following), not the backends' isolation, which does not change with Node.
 */
import type { Check } from './checks.js';

const FROM_RUNNING =
  'template create --from a running environment: clones start where it stood, it runs on; kill -9 mid-save leaves it running and no template; microvm: the source is a warm pool member, then claimed';

const UML_MAIN =
  'uml: its own kernel, the native monitor, a module of its package loads inside, concurrent exec sessions, a small COW file, an unchanged base, pause and unpause, commit while running';
const MICROVM_MAIN =
  "microvm: the manifest's kernel, the native monitor, a small overlay, an unchanged base, pause/unpause over QMP, checkpoint and restore, commit when stopped (and killed)";

export const SUBSETS: Record<string, readonly string[]> = {
  'node-versions': [
    'exit status and stdout/stderr separation',
    'detach, exec, logs -f, stop and rm',
    'signals sent to berth reach the command',
    'an interactive terminal gets a real pty',
  ],
  /** What --network, -p and --memory touch (the resolved spec, ADR 0029): refusals, networks, limits, stats. */
  'network-memory': [
    'bad input: one line, exit 125, nothing left in the store',
    'detach, exec, logs -f, stop and rm',
    'container: its own network namespace lets groups open ICMP echo sockets (ping_group_range)',
    'container: memory and pids limits are enforced, or refused clearly where they cannot be',
    'uml: too little memory to boot, a missing kernel, -p with --network none, a UDP -p: one line, exit 125, nothing left',
    "VM --network user: out to the host's loopback through 10.0.2.2, in through -p on 127.0.0.1, an occupied port refused, none has no route",
    'microvm: bad input (--accel kvm without KVM, too little --memory, a corrupt kernel, bad -p, an occupied port) is one line, exit 125, nothing left',
  ],
  /** --network user on the VM backends: -p in, 10.0.2.2 out. */
  'user-net': [
    "VM --network user: out to the host's loopback through 10.0.2.2, in through -p on 127.0.0.1, an occupied port refused, none has no route",
  ],
  /** Warm pools (ADR 0057). */
  pools: [
    'pool: create, run --pool in a member, a refill killed -9 leaves nothing, rm, bad input',
    'pool: 10 concurrent run --pool on a pool of 2 run in 10 distinct environments; the library claims too',
    FROM_RUNNING,
  ],
  /** Issue 20.8 and 20.9: OOM kills in inspect, double pause/unpause. */
  'oom-pause': [
    'OOM kills: inspect has State.OOMKilled, detached or attached, and the attached run says so',
    'pause of a paused environment and unpause of a running one: one line, exit 125, state unchanged',
  ],
  /**
   * What root's uml kernel running as an unprivileged uid of its own touches (ADR 0046): -v through
   * hostfs, exec, stop, rm -f and kill, pause/unpause over the mconsole, the COW file and modules,
   * -p over slirp. A bridge network with -p is test/integration/uml/uml-host-user.test.ts (it needs
   * a network namespace of its own).
   */
  'uml-user': [
    'bind mounts, read-write and read-only',
    'detach, exec, logs -f, stop and rm',
    'rm refuses a running environment without -f; rm -f kills it',
    'a killed CLI leaves a consistent state that rm -f cleans up',
    UML_MAIN,
    "VM --network user: out to the host's loopback through 10.0.2.2, in through -p on 127.0.0.1, an occupied port refused, none has no route",
    'exec -u of an unknown user is one line and exit 125; a paused environment: exec is refused at once, kill ends it (as docker kill does) and wait returns',
    '-v: a single file and a directory, read-write and read-only, written inside and seen outside',
  ],
  /** -v: directories and single files, read-write and read-only, or a refusal before boot (issue 17.5). */
  binds: [
    'bind mounts, read-write and read-only',
    '-v: a single file and a directory, read-write and read-only, written inside and seen outside',
  ],
  /** A VM's runtime dir goes with it, a create cut short included (src/drivers/vm/vm-run-dir.ts). */
  'run-dir': ['rm -f of a VM environment whose create was cut short (no files record) leaves no runtime dir'],
  /** The VM guest channel (issue 19): data both ways, slow readers, clients gone mid-stream. */
  channel: ['VM channel: random data both ways with digests, a slow reader held back, clients gone mid-stream'],
  /** Issue 20's leftovers: -p without a host port, exec -w of a missing directory, busybox in images, SIGTERM recorded alike. */
  leftovers: [
    'detach, exec, logs -f, stop and rm',
    'exec -u of an unknown user is one line and exit 125; a paused environment: exec is refused at once, kill ends it (as docker kill does) and wait returns',
    '-p 80 and -p 0:80 publish on free host ports, shown by port, ps and inspect, and reached there',
    'images lists the builtin busybox first, as it runs by name',
    "a command ended by kill -s TERM: wait 143, ps 'Exited (143)', the exit record names SIGTERM",
    "VM --network user: out to the host's loopback through 10.0.2.2, in through -p on 127.0.0.1, an occupied port refused, none has no route",
  ],
  /** What the start-up work touches (ADR 0051): the shim's end of a run, --rm, copies, the hot path's errors. */
  startup: [
    'exit status and stdout/stderr separation',
    'run --rm removes the environment when its command exits: detached, or with its CLI killed',
    'stop, rm -f and the command ending take what it left in the background with them',
    'bad input: one line, exit 125, nothing left in the store',
    'a killed CLI leaves a consistent state that rm -f cleans up',
  ],
  /** What a VM boot's path touches (ADR 0071): the kernel's check, the guest init's START, --rm. */
  boot: [
    UML_MAIN,
    MICROVM_MAIN,
    'exit status and stdout/stderr separation',
    'VM: a command with 10000 arguments runs',
    'run --rm removes the environment when its command exits: detached, or with its CLI killed',
    'bad input: one line, exit 125, nothing left in the store',
  ],
  /** Commit of VM environments (issue 13.3, ADR 0058), in the uml and microvm checks that boot anyway. */
  'vm-commit': [UML_MAIN, MICROVM_MAIN],
  templates: [
    "template: the setup's result is kept, clones start from it, rm removes it",
    'template: a failing setup leaves no template and no environment',
    'template (microvm): clones are the saved VM with their own identity; incompatible resumes and rm in use are refused',
    'template: kill -9 of template create leaves no template, environment or VM process',
    FROM_RUNNING,
  ],
  /** `template create --from ENV` (ADR 0064). */
  'template-from': [FROM_RUNNING],
};

/** A filter for the checks of SUBSET (every check without one); an unknown subset or check name throws. */
export function subsetFilter(subset: string | undefined, all: readonly Check[]): (c: Check) => boolean {
  if (!subset) return () => true;
  const names = SUBSETS[subset];
  if (!names) throw new Error(`BERTH_TEST_SUBSET=${subset}: no such subset (${Object.keys(SUBSETS).join(', ')})`);
  for (const n of names) if (!all.some((c) => c.name === n)) throw new Error(`subset ${subset} names no check "${n}"`);
  return (c) => names.includes(c.name);
}
