import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binomialHalfCdf,
  judgeAtMost,
  medianRanks,
  pairRatios,
  quantile,
  summarizeRatios,
} from '../../../bench/paired-ratios.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test('quantile interpolates between order statistics (type 7), whatever the input order', () => {
  assert.equal(quantile([3, 1, 2, 4], 0.5), 2.5);
  assert.equal(quantile([5, 1, 3], 0), 1);
  assert.equal(quantile([5, 1, 3], 1), 5);
  close(quantile([1, 2, 3, 4, 5], 0.25), 2);
  close(quantile([10, 20], 0.75), 17.5);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('binomialHalfCdf matches exact sums', () => {
  close(binomialHalfCdf(5, 0), 1 / 32);
  close(binomialHalfCdf(5, 2), 0.5);
  close(binomialHalfCdf(20, 5), 21700 / 1048576);
  assert.equal(binomialHalfCdf(4, -1), 0);
  assert.equal(binomialHalfCdf(4, 4), 1);
});

test('medianRanks: the distribution-free interval of the median, none below 6 pairs at 95%', () => {
  assert.equal(medianRanks(5, 0.95), undefined);
  assert.deepEqual({ ...medianRanks(6, 0.95), coverage: undefined }, { low: 1, high: 6, coverage: undefined });
  const r20 = medianRanks(20, 0.95)!;
  assert.equal(r20.low, 6);
  assert.equal(r20.high, 15);
  close(r20.coverage, 1 - (2 * 21700) / 1048576);
  assert.ok(r20.coverage >= 0.95);
  // Widest-first search stops at the first rank whose tail is too heavy.
  const r9 = medianRanks(9, 0.95)!;
  assert.deepEqual([r9.low, r9.high], [2, 8]);
});

test('pairRatios pairs the i-th runs and refuses unpaired samples', () => {
  assert.deepEqual(pairRatios([2, 6], [1, 3]), [2, 2]);
  assert.throws(() => pairRatios([1, 2], [1]), /same rounds/);
});

test('paired ratios cancel drift that moves both rows (the point of pairing)', () => {
  // The machine slows down 3x over the run; berth is always 1.1x the peer in the same round.
  const load = [1, 1.2, 1.5, 2, 2.5, 3, 2.8, 2.2, 1.6, 1.1, 1, 1.3];
  const peer = load.map((l) => 1000 * l);
  const berth = peer.map((p) => p * 1.1);
  const s = summarizeRatios(pairRatios(berth, peer));
  close(s.median, 1.1);
  close(s.q1, 1.1);
  close(s.q3, 1.1);
  close(s.ci!.low, 1.1);
  close(s.ci!.high, 1.1);
  // The unpaired ratio of medians would be the same here, but the per-row spread is 3x.
  assert.ok(Math.max(...berth) / Math.min(...berth) > 2.9);
});

test('summarizeRatios: median, quartiles, range, interval, on log ratios', () => {
  const s = summarizeRatios([1.3, 1.0, 1.2, 1.1, 1.4, 1.15, 1.25]);
  assert.equal(s.n, 7);
  close(s.median, 1.2);
  assert.equal(s.min, 1.0);
  assert.equal(s.max, 1.4);
  assert.ok(s.q1 > 1.1 && s.q1 < 1.15, String(s.q1));
  assert.ok(s.q3 > 1.25 && s.q3 < 1.3, String(s.q3));
  assert.deepEqual([s.ci!.low, s.ci!.high], [1.0, 1.4]);
  // Even count: the geometric mean of the middle pair, so row/base and base/row are reciprocals.
  const r = [1.1, 1.3, 1.2, 1.6];
  const a = summarizeRatios(r);
  const b = summarizeRatios(r.map((v) => 1 / v));
  close(a.median, Math.sqrt(1.2 * 1.3));
  close(a.median * b.median, 1);
  close(a.q1 * b.q3, 1);
  assert.equal(a.ci, undefined);
});

test('summarizeRatios refuses zero, negative and infinite ratios', () => {
  assert.throws(() => summarizeRatios([1, 0]), /finite and positive/);
  assert.throws(() => summarizeRatios([1, -1]), /finite and positive/);
  assert.throws(() => summarizeRatios([1, Number.POSITIVE_INFINITY]), /finite and positive/);
});

test('judgeAtMost: met, missed, undecided by the interval, too few runs without one', () => {
  const base = { n: 20, median: 1.1, q1: 1, q3: 1.2, min: 0.9, max: 1.3 };
  assert.equal(judgeAtMost({ ...base, ci: { low: 1.05, high: 1.15, level: 0.96 } }, 1.15), 'met');
  assert.equal(judgeAtMost({ ...base, ci: { low: 1.16, high: 1.3, level: 0.96 } }, 1.15), 'missed');
  assert.equal(judgeAtMost({ ...base, ci: { low: 1.1, high: 1.2, level: 0.96 } }, 1.15), 'undecided');
  assert.equal(judgeAtMost(base, 1.15), 'too few runs');
});
