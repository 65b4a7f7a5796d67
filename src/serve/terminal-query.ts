/** Docker's resize query: `h` rows and `w` columns; a size of 0 (a client without a terminal) is none. */
import type { TerminalSize } from '../index.js';
import { badRequest } from './errors.js';

export function sizeOf(q: URLSearchParams): TerminalSize | undefined {
  const rows = Number(q.get('h') ?? 0);
  const cols = Number(q.get('w') ?? 0);
  for (const [k, v] of [
    ['h', rows],
    ['w', cols],
  ] as const)
    if (!Number.isInteger(v) || v < 0 || v > 65535)
      throw badRequest(`invalid ${k} "${q.get(k)}": give a number of ${k === 'h' ? 'rows' : 'columns'}`);
  return rows > 0 && cols > 0 ? { rows, cols } : undefined;
}
