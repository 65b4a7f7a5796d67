/** How the CLI reports: one line per error on stderr, exit 125 for berth's own failures. */
import { asNoSpaceError, isBerthError } from '../index.js';

export const EXIT_BERTH_ERROR = 125;

export function reportError(thrown: unknown): number {
  // A full filesystem anywhere (a pull, unpacking, a disk build, logs, state): one line naming it.
  const e = asNoSpaceError(thrown);
  if (isBerthError(e)) {
    process.stderr.write(`berth: ${e.oneLine()}\n`);
    if (process.env.BERTH_DEBUG && e.cause) process.stderr.write(`${String((e.cause as Error)?.stack ?? e.cause)}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(
    `berth: internal error: ${msg.split('\n')[0]} (please report it; BERTH_DEBUG=1 shows details)\n`,
  );
  if (process.env.BERTH_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return EXIT_BERTH_ERROR;
}

/** Format a table with left-aligned columns separated by three spaces (docker ps style). */
export function table(headers: string[], rows: string[][]): string {
  // reduce, not Math.max(...rows): a spread of every row overflows the stack at ~125,000 rows
  const widths = headers.map((h, i) => rows.reduce((w, r) => Math.max(w, (r[i] ?? '').length), h.length));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  if (s < 86400) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}
