/**
 * Generated CLI argument lists for the fuzz test: real verbs and flags (read from `berth --help`),
 * mixed with odd values, `--`, repeated flags and missing values. Deterministic for a seed.
 *
 * The lists must not create anything real: image and environment positionals come from POISON
 * (names that cannot exist) or the odd values, and the verbs whose success path builds
 * something (matrix, disk, network create) get only the hand-written FIXED cases, which fail
 * validation. run and exec are left to the caller to check with the real hot-path parser.
 */

/** A seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const POISON_IMAGE = 'tar:/nonexistent/berth-fuzz.tar';
export const POISON_ENV = 'no-such-env-berth-fuzz';
const POISON = [
  POISON_IMAGE,
  POISON_ENV,
  '127.0.0.1:1/fuzz/x:1',
  'oci-archive:/nonexistent/fuzz.tar',
  'docker-archive:/nonexistent/fuzz.tar',
];

/** Odd values; `inProcess` adds those a real argv cannot carry (NUL) or that are costly to spawn. */
export function oddValues(inProcess: boolean): string[] {
  const v = [
    '',
    ' ',
    '-',
    '--',
    '---',
    '-1',
    '0',
    '1',
    '65536',
    '1e999',
    'NaN',
    '-0',
    '0x10',
    '1.5',
    '∂ü😀',
    'é\u0301',
    '\u202e',
    '\n',
    'a b',
    '=',
    'a=b',
    '=b',
    ':',
    '::',
    ':::',
    '/',
    './fuzz-out',
    '../..',
    'tar:',
    'oci-archive:',
    'debian:',
    'debian:nosuch/variant',
    '@sha256:zz',
    `fuzz@sha256:${'0'.repeat(64)}`,
    '%s%n',
    '$(id)',
    'true',
    'false',
    'SIGKILL',
    'KILL',
    '999999999999999999999',
    '10s',
    '1h30m',
    'json',
    'table',
    'chroot',
    'auto',
    'user',
    'none',
    'host',
    'busybox',
    'x'.repeat(300),
    `${'a/'.repeat(200)}b`,
    '\t',
    '"',
    "'",
    '\\',
    '*',
    '?',
    '[',
    '{}',
    '[]',
    'null',
  ];
  if (inProcess) v.push('\u0000', 'a\u0000b', 'x'.repeat(100_000), '😀'.repeat(20_000));
  return v;
}

export interface Verb {
  words: string[];
  /** Long flags (--x) and short ones (-x) from its help. */
  flags: string[];
}

/** Verbs, with subcommands, from the help texts. */
export function verbsFromHelp(topHelp: string, helpOf: (words: string[]) => string): Verb[] {
  const names = [...topHelp.matchAll(/^ {2}berth ([a-z][\w-]*)/gm)].map((m) => m[1]!);
  const out: Verb[] = [];
  for (const name of new Set(names)) {
    const help = helpOf([name]);
    const subs = [...help.matchAll(new RegExp(`^ {2}berth ${name} ([a-z][\\w-]*)`, 'gm'))].map((m) => m[1]!);
    if (subs.length === 0) out.push({ words: [name], flags: flagsOf(help) });
    for (const sub of new Set(subs)) out.push({ words: [name, sub], flags: flagsOf(helpOf([name, sub])) });
  }
  return out;
}

function flagsOf(help: string): string[] {
  const long = [...help.matchAll(/(?:^|[\s,[])(--[a-z][\w-]*)/gm)].map((m) => m[1]!);
  const short = [...help.matchAll(/(?:^|[\s,[])(-[a-zA-Z])\b/gm)].map((m) => m[1]!);
  return [...new Set([...long, ...short])];
}

/** Verbs whose success path builds real things: only FIXED cases for them. */
export const RISKY = new Set(['matrix', 'disk', 'network create']);

/** Hand-written cases for the risky verbs and the issue's own examples; each fails validation. */
export const FIXED: string[][] = [
  ['pull', '--insecure-registry', '127.0.0.1:1', '127.0.0.1:1/fuzz/x:1'],
  ['pull', '--insecure-registry', '127.0.0.1:1', '--insecure-registry', '127.0.0.1:2', '127.0.0.1:1/fuzz/x:1'],
  ['pull', '--insecure-registry'],
  ['login', '--insecure-registry', '127.0.0.1:1', '127.0.0.1:1'],
  ['disk', '--insecure-registry', 'h', POISON_IMAGE],
  ['disk', '--disk-size', 'abc'],
  ['disk', '--disk-size'],
  ['disk', POISON_IMAGE],
  ['disk', '', '--json'],
  ['disk', '--disk-size', '1k', POISON_IMAGE],
  ['disk', '--disk-size', '1', '--disk-size', 'x'],
  ['matrix', '--jobs'],
  ['matrix', '--jobs', 'abc', '--', 'true'],
  ['matrix', '--backend', 'nope', '--', 'true'],
  ['matrix', '--backend', 'chroot', '--backend', 'nope', '--', 'true'],
  ['matrix', '--file', '/nonexistent/fuzz.json'],
  ['matrix', '--backend', '', '--', 'true'],
  ['matrix', '--backend', 'nope', '--image'],
  ['matrix', '--backend', 'nope', '-j', '-1', '--', 'x'],
  ['matrix', '--on', 'slurm', '--time', 'soon', '--backend', 'chroot', '--', 'true'],
  ['matrix', '--on', 'slurm', '--slurm-arg=--array=1', '--backend', 'chroot', '--', 'true'],
  ['matrix', '--on', 'kubernetes', '--backend', 'chroot', '--', 'true'],
  ['matrix', '--partition', 'debug', '--backend', 'chroot', '--', 'true'],
  ['matrix', '--on', 'nowhere', '--backend', 'chroot', '--', 'true'],
  ['network', 'create'],
  ['network', 'create', ''],
  ['network', 'create', '∂'],
  ['network', 'create', '-x'],
  ['network', 'create', '--mtu', '1', 'fuzz'],
  ['network', 'create', '--mtu', 'x', 'fuzz'],
  ['network', 'create', '--mtu'],
  ['network', 'create', '--subnet', 'x', 'fuzz'],
  ['network', 'create', '--subnet', '10.0.0.0/8', '--subnet', 'y', 'fuzz'],
  ['network', 'create', 'x'.repeat(300)],
  ['network', 'create', 'a', 'b'],
  ['run', '--'],
  ['run', '-e'],
  ['run', '--memory', 'x', POISON_IMAGE],
  ['exec'],
  ['exec', POISON_ENV, '--', 'true'],
  [],
  [''],
  ['--'],
  ['-'],
  ['--help', 'nosuch'],
  ['nosuch'],
  ['--version', 'ps'],
];

export interface GenOptions {
  inProcess: boolean;
}

/** One generated argument list. */
export function generate(rand: () => number, verbs: Verb[], opts: GenOptions): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const odd = oddValues(opts.inProcess);
  const allFlags = verbs.flatMap((v) => v.flags);
  const value = () => (rand() < 0.5 ? pick(odd) : pick(POISON));
  const safe = verbs.filter((v) => !RISKY.has(v.words.join(' ')) && !v.words[0]!.startsWith('__'));
  const verb = pick(safe);
  const argv = [...verb.words];
  if (rand() < 0.03) argv.splice(0, argv.length, pick(odd)); // no real verb
  const n = Math.floor(rand() * 8);
  let last: string | undefined;
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.35 && verb.flags.length > 0) {
      last = pick(verb.flags);
      argv.push(last);
      if (rand() < 0.75) argv.push(value()); // else: a missing value (or a boolean)
    } else if (r < 0.45 && verb.flags.length > 0) {
      const f = pick(verb.flags);
      argv.push(f.startsWith('--') ? `${f}=${value()}` : `${f}${value()}`);
    } else if (r < 0.5 && last) {
      argv.push(last, value()); // repeated
    } else if (r < 0.55) {
      argv.push(pick(allFlags)); // another verb's flag
    } else if (r < 0.6) {
      argv.push('--');
    } else if (r < 0.63) {
      argv.push(pick(['--help', '-h', '--version']));
    } else if (r < 0.8) {
      argv.push(pick(POISON));
    } else {
      argv.push(pick(odd));
    }
  }
  // run, create: mostly options then the poison image; exec: the poison environment.
  if ((verb.words[0] === 'run' || verb.words[0] === 'create') && rand() < 0.8)
    argv.push(POISON_IMAGE, ...(rand() < 0.5 ? ['true'] : []));
  if (verb.words[0] === 'exec' && rand() < 0.8) argv.push(POISON_ENV, 'true');
  // stats streams until interrupted, as docker stats does: the fuzz wants one answer, so --no-stream.
  if (argv[0] === 'stats') return ['stats', '--no-stream', ...argv.slice(1).filter((a) => !a.startsWith('--stream'))];
  return argv;
}
