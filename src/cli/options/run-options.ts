import type { OptionDef } from './option-table.js';

export const RUN_OPTIONS: readonly OptionDef[] = [
  {
    name: 'backend',
    type: 'string',
    valueName: 'NAME',
    choices: ['auto', 'chroot', 'container', 'uml', 'microvm'],
    describe:
      'isolation backend; default: BERTH_BACKEND, else "backend" in ~/.config/berth/config.json, else in /etc/berth/config.json, else auto: microvm where KVM works, else container, else chroot (uml only when asked)',
  },
  {
    name: 'isolation',
    type: 'string',
    valueName: 'LEVEL',
    choices: ['filesystem', 'namespaces', 'kernel'],
    describe:
      'refuse any backend weaker than this (auto with kernel: microvm with KVM, else uml, else microvm under TCG)',
  },
  { name: 'name', type: 'string', valueName: 'NAME', describe: 'name the environment' },
  {
    name: 'template',
    type: 'string',
    valueName: 'NAME',
    describe:
      'start from a template (berth template create) instead of IMAGE: microvm resumes a clone of the saved VM, container and chroot start on its committed filesystem',
  },
  {
    name: 'pool',
    type: 'string',
    valueName: 'NAME',
    describe:
      'run in an idle environment of this warm pool (berth pool create) instead of booting one; an empty pool boots one cold; -e, -w, -u, -t, -i, --rm, --name and --label apply',
  },
  { name: 'hostname', type: 'string', valueName: 'NAME', describe: 'hostname inside (default: the short id)' },
  {
    name: 'env',
    short: 'e',
    type: 'string',
    multiple: true,
    valueName: 'KEY=VALUE',
    describe: 'set an environment variable (KEY alone copies yours)',
  },
  {
    name: 'workdir',
    short: 'w',
    type: 'string',
    valueName: 'DIR',
    describe: 'working directory inside (created if missing)',
  },
  {
    name: 'user',
    short: 'u',
    type: 'string',
    valueName: 'USER[:GROUP]',
    describe: 'user to run as: name or uid, optional group',
  },
  {
    name: 'entrypoint',
    type: 'string',
    valueName: 'PATH',
    describe: "replace the image's ENTRYPOINT (its CMD is dropped too: the arguments alone follow PATH); '' clears it",
  },
  {
    name: 'volume',
    short: 'v',
    type: 'string',
    multiple: true,
    valueName: 'HOST:GUEST[:ro]',
    describe:
      'bind mount a host directory or file (microvm: through virtiofs; ./rel or ../rel: relative to the current directory)',
  },
  {
    name: 'memory',
    short: 'm',
    type: 'string',
    valueName: 'SIZE',
    describe: 'memory limit, e.g. 512m (backends that enforce limits)',
  },
  { name: 'cpus', type: 'string', valueName: 'N', describe: 'CPU limit, e.g. 1.5 (backends that enforce limits)' },
  {
    name: 'disk-size',
    type: 'string',
    valueName: 'SIZE',
    describe: 'root disk size, e.g. 4g (uml, microvm; the guest grows its file system to it)',
  },
  {
    name: 'pids-limit',
    type: 'string',
    valueName: 'N',
    describe: 'maximum number of processes (backends that enforce limits)',
  },
  {
    name: 'kernel',
    type: 'string',
    valueName: 'NAME|PATH',
    describe: 'kernel for uml/microvm: a name from `berth kernels` or a kernel file path',
  },
  {
    name: 'network',
    type: 'string',
    valueName: 'MODE',
    describe:
      "none (container default: only lo), host (chroot default: the host's network, NOT isolated), user (pasta/slirp4netns, rootless), bridge, or a network's NAME (root); microvm and uml: no host (user: QEMU user networking / slirp; bridge and NAME: a tap on the bridge)",
  },
  {
    name: 'publish',
    short: 'p',
    type: 'string',
    multiple: true,
    valueName: '[IP:][HOST:]GUEST[/tcp|udp]',
    describe:
      'publish a port on the host (no HOST or 0: a free one, shown by berth port; on --network user, bridge or NAME; without --network: bridge as root, user as a normal user; uml with user: TCP only)',
  },
  {
    name: 'accel',
    type: 'string',
    valueName: 'ACCEL',
    choices: ['auto', 'kvm', 'tcg'],
    describe:
      'microvm accelerator (auto: KVM when a boot probe says it works, else TCG); kvm or tcg with --backend auto asks for a microvm',
  },
  {
    name: 'insecure-registry',
    type: 'string',
    multiple: true,
    valueName: 'HOST[:PORT]',
    describe: 'pull from this registry over plain http (loopback registries always are)',
  },
  {
    name: 'pull',
    type: 'string',
    valueName: 'WHEN',
    choices: ['always', 'missing', 'never'],
    optionalValue: 'always',
    describe:
      'always: pull (registry) or rebuild (debian:) the image even if stored; missing (default): fetch what is not stored, the image and the uml/microvm kernel; never: refuse instead (a bare --pull is always)',
  },
  { name: 'ignore-unenforced', type: 'boolean', describe: 'run even if a limit cannot be enforced here (says which)' },
  {
    name: 'cap-add',
    type: 'string',
    multiple: true,
    valueName: 'CAP',
    describe: 'add a capability (container; ALL for every one)',
  },
  {
    name: 'cap-drop',
    type: 'string',
    multiple: true,
    valueName: 'CAP',
    describe: 'drop a capability (container; ALL for every one)',
  },
  {
    name: 'security-opt',
    type: 'string',
    multiple: true,
    valueName: 'OPT',
    describe: 'seccomp=unconfined to lift the default seccomp filter (container)',
  },
  {
    name: 'privileged',
    type: 'boolean',
    describe: 'all capabilities, no seccomp filter (container): loudly less isolated',
  },
  { name: 'label', short: 'l', type: 'string', multiple: true, valueName: 'KEY=VALUE', describe: 'attach a label' },
  { name: 'tty', short: 't', type: 'boolean', describe: 'allocate a pseudo-terminal' },
  { name: 'interactive', short: 'i', type: 'boolean', describe: 'keep stdin open' },
  { name: 'detach', short: 'd', type: 'boolean', describe: 'run in the background and print the id' },
  { name: 'rm', type: 'boolean', describe: 'remove the environment when the command exits' },
  { name: 'quiet', short: 'q', type: 'boolean', describe: 'do not print which backend was chosen' },
];

export const EXEC_OPTIONS: readonly OptionDef[] = [
  {
    name: 'env',
    short: 'e',
    type: 'string',
    multiple: true,
    valueName: 'KEY=VALUE',
    describe: 'set an environment variable',
  },
  {
    name: 'workdir',
    short: 'w',
    type: 'string',
    valueName: 'DIR',
    describe: 'working directory inside (must exist, as in Docker)',
  },
  { name: 'user', short: 'u', type: 'string', valueName: 'USER[:GROUP]', describe: 'user to run as' },
  { name: 'tty', short: 't', type: 'boolean', describe: 'allocate a pseudo-terminal' },
  { name: 'interactive', short: 'i', type: 'boolean', describe: 'keep stdin open' },
];
