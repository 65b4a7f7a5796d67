/**
 * A small benchmark harness for whole commands: each run spawns the command, waits for it, and
 * takes the wall clock (process.hrtime.bigint). The rows of one group are interleaved round-robin
 * (warm-up rounds, then measured rounds; the first row of a round rotates), so a row's i-th run
 * and the baseline's i-th run form a pair taken under the same load. The ratio column is the
 * median of those per-pair ratios, with their spread and a confidence interval (ADR 0055).
 * A command that exits non-zero fails the benchmark with its stderr.
 */
import { spawnSync } from 'node:child_process';
import { type RatioSummary, type Verdict, judgeAtMost, pairRatios, summarizeRatios } from './paired-ratios.js';

export interface Command {
  /** Row label shown in the table. */
  name: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The row this one's ratio pairs with, when not the group's baseline (a second backend's cold row). */
  baseline?: string;
  /** Untimed, after each run of this row (e.g. wait until a warm pool is full again). */
  settle?: () => void;
}

/** A row that cannot run on this host, reported as "unavailable: <why>" (never dropped). */
export interface Unavailable {
  name: string;
  unavailable: string;
}

export type Row = Command | Unavailable;

export function isUnavailable<T extends object>(r: T | Unavailable): r is Unavailable {
  return 'unavailable' in r;
}

/** What a suite gives the harness to run: rows compared side by side in one run. */
export interface Group {
  rows: Row[];
  /** Name of the row the ratio column is relative to. */
  baseline: string;
  /** Goals read against the ratio column: row name -> the ratio it should stay at or below. */
  targets?: Record<string, number>;
  /** Undo whatever prepare() created (temp dirs, images); always called. */
  cleanup?: () => Promise<void> | void;
  /** Extra Markdown shown after the table (figures that are not timings), read after the runs. */
  notes?: () => string;
}

export interface Suite {
  name: string;
  /** One line: what the suite compares. */
  description: string;
  /** Build fixtures and the rows, or say why the whole suite cannot run here. */
  prepare(ctx: SuiteContext): Promise<Group | Unavailable>;
}

export interface SuiteContext {
  /** The repository root (where dist/berth.cjs lives). */
  repo: string;
}

export interface Options {
  warmup: number;
  runs: number;
  /** Per-command timeout, ms. */
  timeoutMs: number;
}

export interface Stats {
  name: string;
  samples: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Per-pair ratios to the baseline row, summarized (absent on the baseline and without one). */
  ratio?: RatioSummary;
}

export type RowResult = Stats | Unavailable;

export interface GroupResult {
  suite: string;
  description: string;
  baseline: string;
  targets?: Record<string, number>;
  rows: RowResult[];
  notes?: string;
}

export class BenchFailure extends Error {
  constructor(
    readonly row: string,
    message: string,
  ) {
    super(`${row}: ${message}`);
    this.name = 'BenchFailure';
  }
}

export function defaultOptions(env: NodeJS.ProcessEnv = process.env): Options {
  const int = (v: string | undefined, d: number, min: number): number => {
    const n = v === undefined || v === '' ? d : Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`invalid benchmark setting ${JSON.stringify(v)}: want an integer >= ${min}`);
    return n;
  };
  return {
    warmup: int(env.BENCH_WARMUP, 3, 0),
    runs: int(env.BENCH_RUNS, 20, 1),
    timeoutMs: int(env.BENCH_TIMEOUT_MS, 60_000, 1),
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  if (s.length === 0) return NaN;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Run a command once, untimed or timed; throws BenchFailure on non-zero exit or timeout. */
export function runOnce(c: Command, timeoutMs: number): number {
  const [cmd, ...args] = c.argv;
  if (!cmd) throw new BenchFailure(c.name, 'empty command');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: c.env ?? process.env,
    cwd: c.cwd,
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  const t1 = process.hrtime.bigint();
  if (r.error) throw new BenchFailure(c.name, `${c.argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    const why = r.status === null ? `killed by ${r.signal}` : `exit status ${r.status}`;
    const err = r.stderr?.toString().trim() ?? '';
    throw new BenchFailure(c.name, `${c.argv.join(' ')}: ${why}${err ? `\n${err}` : ''}`);
  }
  return Number(t1 - t0) / 1e6;
}

/** Measure the available rows of a group, interleaved round-robin; ratios are paired per round. */
export function measure(
  rows: Row[],
  opts: Options,
  onRound?: (round: number, total: number) => void,
  baseline = '',
): RowResult[] {
  const cmds = rows.filter((r): r is Command => !isUnavailable(r));
  const samples = new Map<string, number[]>(cmds.map((c) => [c.name, []]));
  const total = opts.warmup + opts.runs;
  for (let round = 0; round < total; round++) {
    // Rotate the starting row each round so no row always runs right after another.
    for (let k = 0; k < cmds.length; k++) {
      const c = cmds[(round + k) % cmds.length] as Command;
      const ms = runOnce(c, opts.timeoutMs);
      c.settle?.();
      if (round >= opts.warmup) samples.get(c.name)?.push(ms);
    }
    onRound?.(round + 1, total);
  }
  return rows.map((r) =>
    statsOf(
      r.name,
      isUnavailable(r) ? r : (samples.get(r.name) ?? []),
      samples.get((!isUnavailable(r) && r.baseline) || baseline),
    ),
  );
}

/** A row's figures from its samples, with per-pair ratios when a baseline's samples are given. */
export function statsOf(name: string, xs: number[] | Unavailable, base?: number[]): RowResult {
  if (!Array.isArray(xs)) return xs;
  const s: Stats = { name, samples: xs, medianMs: median(xs), minMs: Math.min(...xs), maxMs: Math.max(...xs) };
  if (base && base !== xs && xs.length > 0) s.ratio = summarizeRatios(pairRatios(xs, base));
  return s;
}

export async function runSuite(
  suite: Suite,
  ctx: SuiteContext,
  opts: Options,
  log: (s: string) => void = () => {},
): Promise<GroupResult> {
  const base = { suite: suite.name, description: suite.description };
  const prepared = await suite.prepare(ctx);
  if (isUnavailable(prepared)) return { ...base, baseline: '', rows: [prepared] };
  try {
    const rows = measure(prepared.rows, opts, (r, t) => log(`  ${suite.name}: round ${r}/${t}`), prepared.baseline);
    return { ...base, baseline: prepared.baseline, targets: prepared.targets, rows, notes: prepared.notes?.() };
  } finally {
    await prepared.cleanup?.();
  }
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const x = (r: number): string => `${r.toFixed(2)}x`;

/** The ratio cells of a row: median, IQR, the median's confidence interval, min-max. */
function ratioCells(r: Stats, isBaseline: boolean, haveBase: boolean): string[] {
  if (isBaseline) return ['1.00x', '', '', ''];
  if (!haveBase || !r.ratio) return ['n/a', '', '', ''];
  const q = r.ratio;
  return [
    x(q.median),
    `${x(q.q1)}-${x(q.q3)}`,
    q.ci ? `${x(q.ci.low)}-${x(q.ci.high)}` : `n/a (n=${q.n})`,
    `${x(q.min)}-${x(q.max)}`,
  ];
}

const VERDICT: Record<Verdict, string> = {
  met: 'met (the whole interval is at or below the target)',
  missed: 'missed (the whole interval is above the target)',
  undecided: 'undecided (the interval straddles the target: more runs narrow it)',
  'too few runs': 'not judged (too few runs for a confidence interval: at least 6)',
};

/** One line per target: the row, its goal, its median ratio and interval, and the verdict. */
export function formatTargets(g: GroupResult): string[] {
  const out: string[] = [];
  for (const [row, atMost] of Object.entries(g.targets ?? {})) {
    const r = g.rows.find((s): s is Stats => !isUnavailable(s) && s.name === row);
    if (!r?.ratio) {
      out.push(`- Target: \`${row}\` at most ${x(atMost)} the baseline: not measured.`);
      continue;
    }
    const q = r.ratio;
    const ci = q.ci ? `, ${Math.round(q.ci.level * 1000) / 10}% interval ${x(q.ci.low)}-${x(q.ci.high)}` : '';
    out.push(
      `- Target: \`${row}\` at most ${x(atMost)} the baseline: ${x(q.median)} (n=${q.n}${ci}): ${VERDICT[judgeAtMost(q, atMost)]}.`,
    );
  }
  return out;
}

/** A Markdown table of one group (also readable in a terminal). */
export function formatTable(g: GroupResult): string {
  const base = g.rows.find((r): r is Stats => !isUnavailable(r) && r.name === g.baseline);
  const lines = [
    '| command | median ms | min ms | max ms | ratio | ratio IQR | ratio 95% CI | ratio min-max | runs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of g.rows) {
    const name = `\`${r.name.replace(/\|/g, '\\|')}\``;
    if (isUnavailable(r)) {
      lines.push(`| ${name} | unavailable: ${r.unavailable.replace(/\|/g, '\\|')} | | | | | | | |`);
      continue;
    }
    const cells = [
      `${name}${r.name === g.baseline ? ' (baseline)' : ''}`,
      fmt(r.medianMs),
      fmt(r.minMs),
      fmt(r.maxMs),
      ...ratioCells(r, r.name === g.baseline, base !== undefined),
      String(r.samples.length),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  if (!base && g.baseline) lines.push('', `Baseline \`${g.baseline}\` unavailable: no ratios.`);
  const targets = formatTargets(g);
  if (targets.length) lines.push('', ...targets);
  return lines.join('\n');
}
