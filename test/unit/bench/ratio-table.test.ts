import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type GroupResult, formatTable, statsOf } from '../../../bench/harness.js';

const peer = [100, 200, 100, 300, 100, 200, 100, 150];
const berth = [110, 220, 105, 340, 120, 210, 115, 160];

function group(targets?: Record<string, number>): GroupResult {
  return {
    suite: 's',
    description: 'd',
    baseline: 'peer',
    targets,
    rows: [statsOf('berth', berth, peer), statsOf('peer', peer, peer), { name: 'gone', unavailable: 'not here' }],
  };
}

test('every compared row gets the median of its per-run ratios, IQR, interval, range and n', () => {
  const t = formatTable(group());
  const row = t.split('\n').find((l) => l.startsWith('| `berth`'))!;
  const cells = row.split('|').map((c) => c.trim());
  // Ratios per pair: 1.10 1.10 1.05 1.13 1.20 1.05 1.15 1.07 -> median of logs ~1.10
  assert.equal(cells[5], '1.10x');
  assert.match(cells[6]!, /^1\.0\dx-1\.1\dx$/);
  assert.equal(cells[7], '1.05x-1.20x');
  assert.equal(cells[8], '1.05x-1.20x');
  assert.equal(cells[9], '8');
  assert.match(t, /\| `peer` \(baseline\) \| 125 \| 100 \| 300 \| 1\.00x \|/);
  assert.match(t, /\| `gone` \| unavailable: not here \|/);
  assert.doesNotMatch(t, /Target:/);
});

test('a target line gives the verdict from the interval', () => {
  assert.match(
    formatTable(group({ berth: 1.25 })),
    /Target: `berth` at most 1\.25x the baseline: 1\.10x \(n=8, 99\.2% interval 1\.05x-1\.20x\): met/,
  );
  assert.match(formatTable(group({ berth: 1.0 })), /: missed/);
  assert.match(formatTable(group({ berth: 1.1 })), /: undecided/);
  assert.match(formatTable(group({ nobody: 1.1 })), /`nobody` at most 1\.10x the baseline: not measured/);
});

test('without its baseline a row has no ratio', () => {
  const g: GroupResult = { suite: 's', description: 'd', baseline: 'peer', rows: [statsOf('berth', berth)] };
  assert.match(formatTable(g), /\| `berth` \| 140 \| 105 \| 340 \| n\/a \|/);
  assert.match(formatTable(g), /Baseline `peer` unavailable/);
});
