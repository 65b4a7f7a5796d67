import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanAgo, humanDuration, statusText } from '../../../src/cli/human-duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test("humanDuration: Docker's words (go-units HumanDuration)", () => {
  const cases: [number, string][] = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [-5 * S, 'Less than a second'],
    [S, '1 second'],
    [13 * S, '13 seconds'],
    [59 * S + 999, '59 seconds'],
    [M, 'About a minute'],
    [M + 59 * S, 'About a minute'],
    [2 * M, '2 minutes'],
    [59 * M, '59 minutes'],
    [H, 'About an hour'],
    [H + 29 * M, 'About an hour'],
    [H + 30 * M, '2 hours'],
    [47 * H, '47 hours'],
    [48 * H, '2 days'],
    [13 * D, '13 days'],
    [14 * D, '2 weeks'],
    [59 * D, '8 weeks'],
    [60 * D, '2 months'],
    [729 * D, '24 months'],
    [730 * D, '2 years'],
  ];
  for (const [ms, words] of cases) assert.equal(humanDuration(ms), words, `${ms} ms`);
});

test('statusText: Up / (Paused) / Exited (N) ... ago / Created, like docker ps', () => {
  const now = Date.parse('2026-12-02T16:40:28.500Z');
  const startedAt = '2026-12-02T16:40:15.314391477Z';
  assert.equal(statusText({ state: 'running', startedAt }, now), 'Up 13 seconds');
  assert.equal(statusText({ state: 'running', startedAt: '2026-12-02T16:40:28.400Z' }, now), 'Up Less than a second');
  assert.equal(statusText({ state: 'running', startedAt: '2026-12-02T15:38:00Z' }, now), 'Up About an hour');
  assert.equal(statusText({ state: 'paused', startedAt: '2026-12-02T16:35:00Z' }, now), 'Up 5 minutes (Paused)');
  assert.equal(
    statusText({ state: 'exited', finishedAt: '2026-12-02T16:40:23Z', exit: { exitCode: 3 } }, now),
    'Exited (3) 5 seconds ago',
  );
  assert.equal(
    statusText(
      {
        state: 'exited',
        finishedAt: '2026-12-02T16:39:00Z',
        exit: { exitCode: 137, signal: 'SIGKILL' },
        reconciled: 'gone',
      },
      now,
    ),
    'Exited (137) About a minute ago [reconciled]',
  );
  assert.equal(statusText({ state: 'created' }, now), 'Created');
  assert.equal(statusText({ state: 'running' }, now), 'Up');
  assert.equal(humanAgo('2026-12-02T14:40:28.500Z', now), '2 hours ago');
  assert.equal(humanAgo(undefined, now), '');
  assert.equal(humanAgo('garbage', now), '');
});
