/** The fuzz test's verdict on one CLI run, and which generated lists must not run at all. */
import { parseFastArgs } from '../../../../src/cli/fast-args.js';
import { RUN_OPTIONS } from '../../../../src/cli/options/run-options.js';
import { POISON_IMAGE } from './argv-gen.js';

export interface Outcome {
  argv: string[];
  code: number | 'hang' | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

const STACK = /^\s+at .+[:(]\d+:\d+\)?$/m;
const show = (s: string) => JSON.stringify(s.length > 300 ? `${s.slice(0, 300)}...` : s);

/** undefined when fine; otherwise what is wrong. Fine: exit 0 (a real result), or 125 with one "berth: " line. */
export function judge(o: Outcome): string | undefined {
  const args = JSON.stringify(o.argv.map((a) => (a.length > 60 ? `${a.slice(0, 60)}...(${a.length})` : a)));
  const all = o.stdout + o.stderr;
  if (o.code === 'hang') return `${args}: still running after 20 s; stderr=${show(o.stderr)}`;
  if (/internal error/.test(all)) return `${args}: internal error: ${show(o.stderr)}`;
  if (STACK.test(o.stderr)) return `${args}: a stack trace: ${show(o.stderr)}`;
  if (o.code === 0) return undefined;
  if (o.code !== 125)
    return `${args}: exit ${o.code}${o.signal ? ` (${o.signal})` : ''}, expected 0 or 125; stderr=${show(o.stderr)}`;
  if (!/^berth: [^\n]+\n$/.test(o.stderr))
    return `${args}: exit 125 without exactly one "berth: " line: ${show(o.stderr)}`;
  return undefined;
}

/**
 * A `run` (or `create`) that would make an environment: its image is not the poison one. The list goes
 * through the real hot-path parser first (what `berth run` does), so only lists that parse to
 * a real image are left out. (exec needs an environment, and the fuzz store has none.)
 */
export function unsafeToRun(argv: string[]): boolean {
  // A `serve` that parses listens until signalled (a real result, not a hang), on the real
  // default socket: its argument errors are covered by test/unit/serve and docker-cli.test.ts.
  // Help flags count only before `--` (after it they are operands: `serve -- -h` serves).
  const flags = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (argv.includes('serve') && !flags.some((a) => a === '--help' || a === '-h' || a === '--version')) return true;
  // `create` takes run's options and makes an environment too (it only does not start it).
  const at = argv.findIndex((a) => a === 'run' || a === 'create');
  if (at < 0) return false;
  try {
    return parseFastArgs(argv.slice(at + 1), RUN_OPTIONS, { min: 0, max: 1 }).positionals[0] !== POISON_IMAGE;
  } catch {
    return false; // fails in parsing: safe, and worth running
  }
}
