/** The cells' records in the results directory, merged into the results a local run returns. */
import { existsSync, readFileSync } from 'node:fs';
import type { Cell } from '../cells.js';
import type { CellResult } from '../report.js';
import { type CellRecord, logPath, recordPath } from './plan.js';

const STATES = new Set(['passed', 'failed', 'unavailable', 'error']);

/** A cell's record, or undefined while there is none (or only a torn one, which atomic writes prevent). */
export function readRecord(dir: string, id: string): CellRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(recordPath(dir, id), 'utf8')) as CellRecord;
    return r && r.id === id && STATES.has(r.state) ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The result of a cell from its record: the same fields a local run fills, plus the node. */
export function resultOf(cell: Cell, r: CellRecord, dir: string): CellResult {
  const log = logPath(dir, cell.id);
  return {
    ...cell,
    state: r.state,
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    ...(existsSync(log) ? { logFile: log } : {}),
    ...(r.node ? { node: r.node } : {}),
  };
}
