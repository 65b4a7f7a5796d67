/**
 * Docker-like byte progress for the terminal: one line per file or layer in flight ("label
 * 12.3 MB / 25.0 MB 49% 4.1 MB/s") and a line when one finishes. Pure but for the clock it is given.
 */
import type { Transfer } from '../index.js';

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function rate(bytes: number, ms: number): string {
  return ms > 0 ? `${formatBytes(Math.round((bytes * 1000) / ms))}/s` : '';
}

interface Active {
  t: Transfer;
  startedAt: number;
  startDone: number;
}

export class TransferBoard {
  private readonly active = new Map<string, Active>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Take a report; returns the line to keep on screen when the transfer finished. */
  update(t: Transfer): string | undefined {
    const a = this.active.get(t.id) ?? { t, startedAt: this.now(), startDone: t.done };
    a.t = t;
    if (!t.finished) {
      this.active.set(t.id, a);
      return undefined;
    }
    this.active.delete(t.id);
    const moved = t.done - a.startDone;
    const r = rate(moved, this.now() - a.startedAt);
    return `${t.label}: ${formatBytes(t.done)}${t.total !== undefined && t.total !== t.done ? ` of ${formatBytes(t.total)}` : ''} done${r ? `, ${r}` : ''}`;
  }

  /** The lines of the transfers in flight. */
  lines(): string[] {
    const at = this.now();
    return [...this.active.values()].map(({ t, startedAt, startDone }) => {
      const total = t.total !== undefined ? ` / ${formatBytes(t.total)}` : '';
      const pct = t.total ? ` ${Math.floor((100 * t.done) / t.total)}%` : '';
      const r = rate(t.done - startDone, at - startedAt);
      return `${t.label}  ${formatBytes(t.done)}${total}${pct}${r ? `  ${r}` : ''}`;
    });
  }
}
