/** A file of an image as the environment sees it: the first layer (top first) that has it, else ''. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function readImageFile(layers: string[], path: string): string {
  for (const l of layers) {
    try {
      return readFileSync(join(l, path), 'utf8');
    } catch {
      /* next layer */
    }
  }
  return '';
}
