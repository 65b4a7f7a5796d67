/**
 * Paired-ratio statistics for benchmark rows measured side by side (ADR 0055). Each round of the
 * harness runs every row once, so a row's i-th sample and the baseline's i-th sample form a pair
 * taken under the same machine load; the per-pair ratio cancels drift that moves both. The summary
 * is the median of the per-pair ratios, their interquartile range, their min-max, and a
 * distribution-free confidence interval of that median (order statistics of the binomial
 * distribution), enough to say whether a target such as "at most 1.15x" is met, missed, or not
 * yet decided by the runs taken. Everything is computed on log ratios, so a row's ratio to the
 * baseline and the baseline's ratio to the row are exact reciprocals, also for an even count.
 */

export interface RatioSummary {
  /** Number of pairs. */
  n: number;
  /** Median of the per-pair ratios. */
  median: number;
  /** First and third quartile of the per-pair ratios. */
  q1: number;
  q3: number;
  min: number;
  max: number;
  /** Confidence interval of the median ratio (undefined when n is too small for the level). */
  ci?: { low: number; high: number; level: number };
}

/** Quantile p (0..1) of xs by linear interpolation between order statistics (Hyndman-Fan type 7). */
export function quantile(xs: readonly number[], p: number): number {
  if (xs.length === 0 || !(p >= 0 && p <= 1)) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return (s[lo] as number) + (h - lo) * ((s[hi] as number) - (s[lo] as number));
}

/** P(X <= k) for X ~ Binomial(n, 1/2). */
export function binomialHalfCdf(n: number, k: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let term = 0.5 ** n; // C(n, 0) / 2^n
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return sum;
}

/**
 * 1-based ranks [r, n + 1 - r] of the order statistics that bound the median with at least the
 * given confidence (the widest-coverage-first search: the largest r whose tails each hold at most
 * (1 - level) / 2), or undefined when even [min, max] does not reach the level.
 */
export function medianRanks(n: number, level: number): { low: number; high: number; coverage: number } | undefined {
  const tail = (1 - level) / 2;
  let best: number | undefined;
  for (let r = 1; r <= Math.floor((n + 1) / 2); r++) {
    if (binomialHalfCdf(n, r - 1) <= tail) best = r;
    else break;
  }
  if (best === undefined) return undefined;
  return { low: best, high: n + 1 - best, coverage: 1 - 2 * binomialHalfCdf(n, best - 1) };
}

/** Per-pair ratios row[i] / baseline[i]; the pairs are the rounds both rows ran in. */
export function pairRatios(row: readonly number[], baseline: readonly number[]): number[] {
  if (row.length !== baseline.length)
    throw new Error(
      `paired samples differ in count (${row.length} vs ${baseline.length}): rows must run in the same rounds`,
    );
  return row.map((x, i) => x / (baseline[i] as number));
}

/** Median, quartiles, range and the median's confidence interval of positive ratios. */
export function summarizeRatios(ratios: readonly number[], level = 0.95): RatioSummary {
  if (ratios.some((r) => !(r > 0) || !Number.isFinite(r)))
    throw new Error('ratios must be finite and positive (a run took no measurable time?)');
  const logs = ratios.map(Math.log).sort((a, b) => a - b);
  const n = logs.length;
  const at = (p: number) => Math.exp(quantile(logs, p));
  const summary: RatioSummary = {
    n,
    median: at(0.5),
    q1: at(0.25),
    q3: at(0.75),
    min: n ? Math.exp(logs[0] as number) : Number.NaN,
    max: n ? Math.exp(logs[n - 1] as number) : Number.NaN,
  };
  const ranks = medianRanks(n, level);
  if (ranks)
    summary.ci = {
      low: Math.exp(logs[ranks.low - 1] as number),
      high: Math.exp(logs[ranks.high - 1] as number),
      level: ranks.coverage,
    };
  return summary;
}

export type Verdict = 'met' | 'missed' | 'undecided' | 'too few runs';

/**
 * Is "ratio at most `atMost`" met? Met when the whole confidence interval lies at or below it,
 * missed when the whole interval lies above, undecided when it straddles (more runs narrow it).
 */
export function judgeAtMost(s: RatioSummary, atMost: number): Verdict {
  if (!s.ci) return 'too few runs';
  if (s.ci.high <= atMost) return 'met';
  if (s.ci.low > atMost) return 'missed';
  return 'undecided';
}
