/** Matrix results as a table row, JUnit XML and JSON (pure). */
import type { Cell } from './cells.js';

export type CellState = 'pending' | 'running' | 'passed' | 'failed' | 'unavailable' | 'error';

export interface CellResult extends Cell {
  state: CellState;
  exitCode?: number;
  /** Why: the unavailable backend's reason, or berth's error. */
  reason?: string;
  durationMs?: number;
  logFile?: string;
  /** The cluster node that ran the cell (matrix --on slurm); absent for a local run. */
  node?: string;
}

function xml(s: string): string {
  // Characters XML 1.0 cannot carry are dropped; the five specials escaped.
  return s
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/g, '')
    .replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);
}

export function junitXml(results: CellResult[], name: string, logs: (r: CellResult) => string): string {
  const failures = results.filter((r) => r.state === 'failed').length;
  const errors = results.filter((r) => r.state === 'error').length;
  const skipped = results.filter((r) => r.state === 'unavailable').length;
  const time = (ms = 0) => (ms / 1000).toFixed(3);
  const total = results.reduce((a, r) => a + (r.durationMs ?? 0), 0);
  const cases = results.map((r) => {
    const head = `  <testcase classname="berth.matrix.${xml(r.backend)}" name="${xml(r.id)}" time="${time(r.durationMs)}">`;
    const body =
      r.state === 'failed'
        ? `\n    <failure message="exit code ${r.exitCode}">${xml(logs(r))}</failure>\n    <system-out>${xml(r.logFile ?? '')}</system-out>\n  `
        : r.state === 'error'
          ? `\n    <error message="${xml(r.reason ?? 'error')}"/>\n  `
          : r.state === 'unavailable'
            ? `\n    <skipped message="unavailable: ${xml(r.reason ?? '')}"/>\n  `
            : '';
    return `${head}${body}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="${xml(name)}" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time(total)}">\n${cases.join('\n')}\n</testsuite>\n`;
}

export function resultWord(r: Pick<CellResult, 'state' | 'exitCode' | 'reason'>): string {
  switch (r.state) {
    case 'passed':
      return 'passed';
    case 'failed':
      return `FAILED (exit ${r.exitCode})`;
    case 'unavailable':
      return `unavailable: ${r.reason}`;
    case 'error':
      return `ERROR: ${r.reason}`;
    default:
      return r.state;
  }
}

export function matrixRow(r: CellResult): string[] {
  return [
    r.backend,
    r.image,
    r.kernel ?? '-',
    resultWord(r),
    r.durationMs !== undefined ? `${(r.durationMs / 1000).toFixed(1)}s` : '',
  ];
}

export const MATRIX_HEADERS = ['BACKEND', 'IMAGE', 'KERNEL', 'RESULT', 'TIME'];
