/**
 * Docker's `diff`: what an environment changed, from the overlay's upper directory (chroot and
 * container): A added, C changed (it exists in the image too), D deleted (an overlay whiteout, a
 * 0:0 character device). The VM backends keep their changes inside a disk image (a COW file or a
 * qcow2 overlay) that the host cannot list by path: refused, with `berth export` as the way to see.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { DriverError } from '../core/errors.js';
import { resolveEnv } from './lifecycle.js';

export interface Change {
  kind: 'A' | 'C' | 'D';
  path: string;
}

const isWhiteout = (s: Stats) => s.isCharacterDevice() && s.rdev === 0;

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** The image has PATH: its topmost layer that mentions it has it, not a whiteout (layers: bottom first). */
function inImage(layers: string[], rel: string): boolean {
  for (let i = layers.length - 1; i >= 0; i--) {
    const s = lstatOrUndefined(join(layers[i]!, rel));
    if (s) return !isWhiteout(s);
  }
  return false;
}

function walk(upper: string, layers: string[], rel: string, out: Change[]): void {
  for (const name of readdirSync(join(upper, rel)).sort()) {
    const r = `${rel}/${name}`;
    const s = lstatSync(join(upper, r));
    if (isWhiteout(s)) {
      out.push({ kind: 'D', path: r });
      continue;
    }
    out.push({ kind: inImage(layers, r) ? 'C' : 'A', path: r });
    if (s.isDirectory()) walk(upper, layers, r, out);
  }
}

export function diffEnv(ctx: Context, ref: string): Change[] {
  const { record, handle } = resolveEnv(ctx, ref);
  if (record.backend !== 'chroot' && record.backend !== 'container') {
    throw new DriverError(
      'no-diff',
      `the ${record.backend} backend keeps changes inside a disk image, not as files berth can list`,
      { fix: `see the whole filesystem with "berth export ${record.name}"; diff works on chroot and container` },
    );
  }
  const out: Change[] = [];
  try {
    walk(join(handle.dir, 'upper'), record.image.layers, '', out);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DriverError('diff-failed', `cannot read the changes of ${record.name}: ${err.code ?? err.message}`, {
      fix: err.code === 'EACCES' ? 'files written by other users inside: run berth diff as root' : 'see berth doctor',
    });
  }
  return out;
}
