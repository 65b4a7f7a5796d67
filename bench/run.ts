/**
 * `npm run bench`: run every suite (or those named in BENCH_SUITES, comma separated), print the
 * tables, and rewrite the generated section of docs/benchmarks.md. Any failing command fails the
 * whole benchmark (exit 1) and leaves docs/benchmarks.md untouched.
 * Settings: BENCH_RUNS (default 20), BENCH_WARMUP (3), BENCH_TIMEOUT_MS (60000).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GroupResult, type Options, defaultOptions, formatTable, runSuite } from './harness.js';
import { suites } from './suites/index.js';

const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

/** The repository root: build/bench/run.js -> ../..; also works from bench/ via ts loaders. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = resolve(dir, '..');
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../..');
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
}

export function machineFacts(): string[] {
  const model = cpus()[0]?.model?.trim() ?? '?';
  return [
    `- CPUs: ${sh('nproc', [])} (nproc; node sees ${availableParallelism()}), ${model}`,
    `- Kernel: ${sh('uname', ['-srm'])}`,
    `- Node: ${process.version}`,
    `- User: ${process.getuid?.() === 0 ? 'root' : 'normal user'}`,
    `- Date: ${new Date().toISOString()}`,
  ];
}

/**
 * The `### suite` sections of an earlier results block, by suite name (a run of only some suites
 * keeps the others' last results, marked as earlier).
 */
export function earlierSections(doc: string): Map<string, string> {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  const out = new Map<string, string>();
  if (a < 0 || b < a) return out;
  const block = doc.slice(a + BEGIN.length, b);
  for (const part of block.split(/\n(?=### )/).slice(1)) {
    const name = /^### (\S+)/.exec(part)?.[1];
    if (name) out.set(name, part.replace(/^### (\S+)( \(earlier run\))?/, '### $1 (earlier run)').trimEnd());
  }
  return out;
}

export function renderSection(results: GroupResult[], opts: Options, earlier: Map<string, string> = new Map()): string {
  const parts = [
    '## Results',
    '',
    ...machineFacts(),
    `- Settings: ${opts.warmup} warm-up + ${opts.runs} measured runs per row, interleaved round-robin; ratio = median of the per-round ratios to the baseline (ADR 0055)`,
    `- Load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (1, 5, 15 min) on ${availableParallelism()} CPUs`,
  ];
  for (const g of results) parts.push('', `### ${g.suite}`, '', `${g.description}.`, '', formatGroup(g));
  for (const [name, text] of earlier) if (!results.some((g) => g.suite === name)) parts.push('', text);
  return parts.join('\n');
}

/** The timing table (when the group has rows) and the suite's extra notes. */
export function formatGroup(g: GroupResult): string {
  return [g.rows.length ? formatTable(g) : '', g.notes ?? ''].filter(Boolean).join('\n\n');
}

const HEADER = `# Benchmarks

What is measured: the wall-clock time of whole commands, from spawn to exit, as a user would
see it. Each suite compares berth with the bare mechanism it builds on and with peers, side by
side in the same run: the rows are interleaved round-robin (warm-up rounds first), so drift on
the machine affects every row equally. Absolute numbers vary between machines; compare the
ratio column: the median of the per-round ratios to the suite's baseline row (each round runs
every row once, so the i-th runs of two rows form a pair taken under the same load), with the
ratios' interquartile range, a distribution-free confidence interval of at least 95% for that
median (from 6 runs on), their min-max, and the number of pairs (ADR 0055). A suite with a goal
prints a target line: met when the whole interval is at or below the goal, missed when it is
above, undecided when it straddles (more runs narrow it). A row whose tool is missing on the
machine is listed as unavailable, with the reason.

Reproduce: \`npm run bench\` (settings: \`BENCH_RUNS\`, default 20; \`BENCH_WARMUP\`, default 3;
\`BENCH_SUITES=chroot-startup\` to run only some suites). The section below is rewritten by
each run.

`;

export function updateDoc(path: string, section: string): void {
  const block = `${BEGIN}\n${section}\n${END}`;
  let text = existsSync(path) ? readFileSync(path, 'utf8') : `${HEADER}${BEGIN}\n${END}\n`;
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + END.length);
  else text = `${text.replace(/\n*$/, '\n\n')}${block}\n`;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

async function main(): Promise<number> {
  const repo = repoRoot();
  const opts = defaultOptions();
  const wanted = (process.env.BENCH_SUITES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !suites.some((s) => s.name === w));
  if (unknown.length) {
    console.error(`bench: unknown suite(s) ${unknown.join(', ')}; known: ${suites.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const chosen = wanted.length ? suites.filter((s) => wanted.includes(s.name)) : suites;
  const results: GroupResult[] = [];
  const failures: string[] = [];
  for (const s of chosen) {
    console.error(`bench: ${s.name} (${opts.warmup} warm-up + ${opts.runs} runs)`);
    try {
      const g = await runSuite(s, { repo }, opts, (line) => {
        if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      results.push(g);
      console.log(`\n### ${g.suite}\n\n${formatGroup(g)}\n`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      failures.push(`${s.name}: ${msg}`);
      console.error(`bench: suite ${s.name} FAILED: ${msg}`);
    }
  }
  if (failures.length) {
    console.error(`bench: ${failures.length} suite(s) failed; docs/benchmarks.md not updated`);
    return 1;
  }
  try {
    const doc = join(repo, 'docs', 'benchmarks.md');
    updateDoc(
      doc,
      renderSection(results, opts, existsSync(doc) ? earlierSections(readFileSync(doc, 'utf8')) : new Map()),
    );
  } catch (e) {
    console.error(`bench: cannot update docs/benchmarks.md: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  console.error('bench: docs/benchmarks.md updated');
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exitCode = 1;
    },
  );
}
