/**
 * Docker's `--detach-keys`: a comma-separated sequence of `ctrl-X` (X: a-z, @, [, \, ], ^, _) or
 * single characters, e.g. the default `ctrl-p,ctrl-q`; and a matcher fed the bytes typed. Used by
 * `berth attach` and by `berth serve`'s attach and exec.
 */
import { SpecError } from './errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

export function parseDetachKeys(spec: string): number[] {
  if (spec === '') return [];
  return spec.split(',').map((key) => {
    const k = key.toLowerCase();
    if (k.startsWith('ctrl-') && k.length === 6 && CTRL.includes(k[5]!)) return CTRL.indexOf(k[5]!);
    if (key.length === 1 && key.charCodeAt(0) < 128) return key.charCodeAt(0);
    throw new SpecError('bad-detach-keys', `invalid --detach-keys "${spec}": "${key}" is not a key`, {
      fix: 'give keys like ctrl-p,ctrl-q (ctrl-a..ctrl-z, ctrl-@, ctrl-[, ctrl-\\, ctrl-], ctrl-^, ctrl-_, or one character)',
    });
  });
}

/** Feed it typed bytes; true once the whole sequence was typed in a row. */
export function detachMatcher(keys: number[]): (chunk: Buffer) => boolean {
  let at = 0;
  return (chunk) => {
    if (keys.length === 0) return false;
    for (const b of chunk) {
      at = b === keys[at] ? at + 1 : b === keys[0] ? 1 : 0;
      if (at === keys.length) return true;
    }
    return false;
  };
}
