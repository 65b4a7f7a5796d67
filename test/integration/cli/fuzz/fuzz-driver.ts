/**
 * The fuzz test's in-process half: runs generated argument lists through the CLI's parse and
 * dispatch (src/cli/cli.ts) in this one process, output captured, and writes a JSON report.
 * Run by cli-fuzz.test.ts as `node fuzz-driver.js SEED COUNT REPORT` with BERTH_ROOT and the
 * working directory set to temp dirs, stdin from /dev/null.
 */
import { writeFileSync } from 'node:fs';
import { goOffline } from '../../../helpers/offline-dns.js';
import { prng, generate, verbsFromHelp, FIXED, type Verb } from './argv-gen.js';
import { judge, unsafeToRun, type Outcome } from './judge.js';

await goOffline();
const { cli } = await import('../../../../src/cli/cli.js');

const [seed, count, report] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!];
let current: string[] = [];
const stray: string[] = [];
process.on('uncaughtException', (e) =>
  stray.push(`uncaught ${String(e?.stack ?? e)} during ${JSON.stringify(current)}`),
);
process.on('unhandledRejection', (e) =>
  stray.push(`unhandled ${String((e as Error)?.stack ?? e)} during ${JSON.stringify(current)}`),
);

type Write = typeof process.stdout.write;
async function runCaptured(argv: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void): Write =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      add(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as Write;
  const [o, e] = [process.stdout.write, process.stderr.write];
  process.stdout.write = sink((s) => (stdout += s));
  process.stderr.write = sink((s) => (stderr += s));
  process.exitCode = undefined;
  current = argv;
  let timer: NodeJS.Timeout | undefined;
  try {
    const hang = new Promise<'hang'>((res) => (timer = setTimeout(() => res('hang'), 20_000)));
    const code = await Promise.race([cli(argv), hang]);
    return { argv, code: code === 'hang' ? 'hang' : code, signal: null, stdout, stderr };
  } finally {
    clearTimeout(timer);
    process.stdout.write = o;
    process.stderr.write = e;
    process.exitCode = undefined;
  }
}

const helpOf = async (words: string[]) => (await runCaptured([...words, '--help'])).stdout;
const top = await helpOf([]);
const helps = new Map<string, string>();
for (const m of top.matchAll(/^ {2}berth ([a-z][\w-]*)/gm)) {
  helps.set(m[1]!, await helpOf([m[1]!]));
  for (const s of helps.get(m[1]!)!.matchAll(new RegExp(`^ {2}berth ${m[1]} ([a-z][\\w-]*)`, 'gm')))
    helps.set(`${m[1]} ${s[1]}`, await helpOf([m[1]!, s[1]!]));
}
const verbs: Verb[] = verbsFromHelp(top, (w) => helps.get(w.join(' ')) ?? '');

const rand = prng(seed);
const failures: string[] = [];
let ran = 0;
let skipped = 0;
const cases = [...FIXED, ...Array.from({ length: count }, () => generate(rand, verbs, { inProcess: true }))];
for (const argv of cases) {
  if (unsafeToRun(argv)) {
    skipped++;
    continue;
  }
  const t0 = Date.now();
  if (process.env.BERTH_FUZZ_TRACE) writeFileSync(process.env.BERTH_FUZZ_TRACE, JSON.stringify(argv));
  const bad = judge(await runCaptured(argv));
  if (process.env.BERTH_FUZZ_SLOW && Date.now() - t0 > Number(process.env.BERTH_FUZZ_SLOW))
    process.stderr.write(`${Date.now() - t0} ms ${JSON.stringify(argv).slice(0, 200)}\n`);
  ran++;
  if (process.env.BERTH_FUZZ_SLOW && ran % 100 === 0)
    process.stderr.write(
      `${ran} at ${Math.round(performance.now())} ms, ${Math.round(process.memoryUsage().rss / 1e6)} MB\n`,
    );
  if (bad) failures.push(bad);
  if (failures.length > 20) break;
}
writeFileSync(
  report,
  JSON.stringify({
    verbs: verbs.map((v) => v.words.join(' ')),
    flags: verbs.reduce((n, v) => n + v.flags.length, 0),
    ran,
    skipped,
    failures,
    stray,
  }),
);
process.exit(0);
