/**
 * How each command of the README's `## Use` block becomes a command this test can run for real.
 * Generic rules first (placeholders, loopback stand-ins, `[optional]` parts kept, `a|b` run once
 * per alternative); then OVERRIDES for the few commands whose shape cannot run as written. A
 * command that still holds a placeholder is UNMAPPED: the test fails and says how to map it.
 */

export interface MapContext {
  /** 127.0.0.1:PORT of the loopback docker-registry (stands for 127.0.0.1:5000). */
  registry: string;
  /** http://127.0.0.1:PORT of the loopback file server (stands for https://host.example). */
  httpBase: string;
  /** SHA-256 of the served rootfs.tar.xz (stands for HEX). */
  tarSha: string;
  /** A busybox root filesystem directory (stands for /srv/rootfs). */
  rootfsDir: string;
}

export interface Step {
  /** Shell command run with `berth` on PATH, in the test's work dir (which holds the fixture files). */
  sh: string;
  /** Run inside the test's network namespace (bridges, NAT, published ports). */
  netns?: boolean;
  /** Exit status expected (default 0). */
  code?: number;
  /** stdout must match. */
  stdout?: RegExp;
  /** Needs this environment running first (the test (re)creates it from its recipe). */
  running?: string;
  /** Environment whose command the test ends first (`wait` would wait forever on a loop). */
  ended?: string;
  /** Network whose environments the test removes first (`network rm` refuses a used network). */
  emptied?: string;
  /** Started in the background: must print something, and exit 0 by the end of the block. */
  background?: boolean;
  /** Needs a terminal: run under script(1) with `exit` typed in. */
  tty?: boolean;
  /** Check: `berth --help` and `berth VERB --help` for every verb exit 0. */
  helpAll?: boolean;
  /** Check: `berth run --help` shows this usage line. */
  synopsis?: string;
}

/** Environments the block uses but does not create (the README implies them). */
export const RECIPES: Record<string, string> = {
  // `berth checkpoint vm1 cp1` implies a running microvm named vm1.
  vm1: 'berth run -d --name vm1 --backend microvm --accel tcg -- sleep 3600',
};

/** Verbs whose environment must be running. */
const RUNNING_VERBS = new Set(['exec', 'logs', 'stop', 'kill', 'pause', 'stats', 'top', 'checkpoint', 'cp']);
/** Names the block gives environments (a token equal to one is the verb's environment). */
const ENV_NAMES = ['web', 'db', 'vm1'];
/** Upper-case words that are literal, not placeholders. */
const LITERAL_UPPER = new Set(['HUP']);

type Override = (c: MapContext) => Step[];

/** Keyed by the command exactly as the README writes it (comment stripped). */
export const OVERRIDES: Record<string, Override> = {
  // The synopsis: the help must show it; with every optional part left out it runs the default image.
  'berth run [OPTIONS] [IMAGE] [--] [COMMAND [ARG...]]': () => [
    { sh: 'berth run --help', synopsis: 'berth run [OPTIONS] [IMAGE] [--] [COMMAND [ARG...]]' },
    { sh: 'berth run' },
  ],
  // web on container: `export web` reads the overlay upper directory (chroot and container only;
  // commit works on every backend, ADR 0058), and --backend auto's choice differs by host.
  "berth run -d --name web -- sh -c 'while true; do date; sleep 1; done'": () => [
    { sh: "berth run -d --name web --backend container -- sh -c 'while true; do date; sleep 1; done'" },
  ],
  "berth run --rm -- sh -c 'echo hello'": () => [{ sh: "berth run --rm -- sh -c 'echo hello'", stdout: /^hello$/m }],
  'berth run 127.0.0.1:5000/team/app:1 -- cat /etc/os-release': (c) => [
    { sh: `berth run ${c.registry}/team/app:1 -- cat /etc/os-release`, stdout: /berth README fixture/ },
  ],
  // IMAGE here is one to rename and remove: a registry image no environment uses (rmi refuses an
  // image an environment uses, and the lines above left team/app:1 used by an exited one; the
  // builtin busybox is always there). Pulling it first is the test's setup, not the README's.
  'berth tag IMAGE NEW': (c) => [
    { sh: `berth pull -q ${c.registry}/team/other:1` },
    { sh: `berth tag ${c.registry}/team/other:1 readme/new:1` },
  ],
  'berth rmi IMAGE': (c) => [{ sh: `berth rmi ${c.registry}/team/other:1` }],
  // Built with mmdebstrap from the real Debian mirror (minutes, outside loopback): the test stores a
  // fixture image under this name first, so this runs the stored-image path ("once"); the build
  // itself is covered by test/integration/images/debian.test.ts.
  'berth run debian:bookworm/minbase -- cat /etc/os-release': () => [
    { sh: 'berth run debian:bookworm/minbase -- cat /etc/os-release', stdout: /berth README fixture/ },
  ],
  // Always rebuilds from the real Debian mirror (outside loopback; debian.test.ts does it): here only
  // that pull documents the reference.
  'berth pull debian:bookworm': () => [{ sh: 'berth pull --help', stdout: /debian:SUITE\[\/VARIANT\]/ }],
  // IMAGE stands for a server image: busybox's default command (sh) would exit at once, taking db off the network.
  'berth run -d --name db --network web IMAGE': () => [
    { sh: 'berth run -d --name db --network web busybox -- sleep 3600', netns: true },
  ],
  'berth run --network web --cap-add NET_RAW IMAGE -- ping -c 1 db': () => [
    {
      sh: 'berth run --network web --cap-add NET_RAW busybox -- ping -c 1 db',
      netns: true,
      stdout: /1 packets received/,
    },
  ],
  'berth --help, berth run --help, ...': () => [{ sh: 'berth --help', helpAll: true }],
  // The fork of the running microvm vm1 (a live save); the template is removed again.
  'berth template create fork --from vm1': () => [
    { sh: 'berth template create fork --from vm1', running: 'vm1', stdout: /^fork$/m },
    { sh: 'berth template rm fork' },
  ],
};

/** The steps for one README command, or a message saying why it is unmapped. */
export function mapCommand(text: string, c: MapContext): Step[] | string {
  const o = OVERRIDES[text];
  if (o) return o(c);
  const s = text
    .replaceAll('127.0.0.1:5000', c.registry)
    .replaceAll('https://host.example', c.httpBase)
    .replaceAll('/srv/rootfs', c.rootfsDir)
    .replace(/\bHEX\b/g, c.tarSha)
    .replace(/\bIMAGE\b/g, 'busybox')
    .replace(/\bNEW\b/g, 'readme/new:1')
    .replace(/\bID\b/g, 'readme-test')
    .replace(/\[([^[\]]*)\]/g, '$1');
  const leftover = s
    .split(/\s+/)
    .find((t) => /[[\]]|\.\.\.|host\.example/.test(t) || (/^[A-Z][A-Z0-9_]+$/.test(t) && !LITERAL_UPPER.has(t)));
  if (leftover !== undefined) return `"${leftover}" is a placeholder this test does not know`;
  // `--fetch uml|microvm`: once per alternative.
  const alt = /(\S+)\|(\S+)/.exec(s.replace(/'[^']*'|"[^"]*"/g, ''));
  const variants =
    alt && /^[a-z-]+$/.test(alt[1]!) && /^[a-z-]+$/.test(alt[2]!)
      ? [s.replace(alt[0], alt[1]!), s.replace(alt[0], alt[2]!)]
      : [s];
  return variants.map((sh) => step(sh));
}

function step(sh: string): Step {
  const words = sh.split(/\s+/);
  const verb = words[words.indexOf('berth') + 1] ?? '';
  // `cp` names its environment as ENV:PATH.
  const env = words.map((w) => w.replace(/:.*$/, '')).find((w) => ENV_NAMES.includes(w));
  const st: Step = { sh };
  if (/--network\b|\bberth network\b|\s-p\s/.test(sh)) st.netns = true;
  if (env && RUNNING_VERBS.has(verb) && !(verb === 'logs' && !/\s-f\b/.test(sh))) st.running = env;
  if (verb === 'wait' && env) st.ended = env;
  if (verb === 'network' && words.includes('rm')) st.emptied = words.at(-1)!;
  if (verb === 'logs' && /\s-f\b/.test(sh)) st.background = true;
  if (verb === 'exec' && /\s-\w*t/.test(sh)) st.tty = true;
  return st;
}

export const HOW_TO_MAP =
  'map it in test/integration/readme/readme-map.ts: a generic substitution in mapCommand() for a new placeholder, or an OVERRIDES entry keyed by the command exactly as the README writes it (with a comment saying why)';
