/** Parse user-facing quantities: sizes like 512m, 1g, 64k, 1048576. */
import { SpecError } from './errors.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function parseSize(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(value.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new SpecError('bad-size', `invalid ${flag} value "${value}"`, {
      fix: `use a number with an optional unit b, k, m or g (e.g. ${flag} 512m)`,
    });
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes <= 0)
    throw new SpecError('bad-size', `invalid ${flag} value "${value}": must be positive`, { fix: `e.g. ${flag} 512m` });
  return bytes;
}

export function parsePositiveNumber(value: string, flag: string, integer = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new SpecError('bad-number', `invalid ${flag} value "${value}"`, {
      fix: `give a positive ${integer ? 'integer' : 'number'}`,
    });
  }
  return n;
}

/** A size as `--memory` takes it: the largest unit that divides it exactly (256m, 1g, 16k, 100). */
export function formatSize(bytes: number): string {
  for (const u of ['t', 'g', 'm', 'k'] as const) {
    const n = UNITS[u]!;
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${u}`;
  }
  return String(bytes);
}
