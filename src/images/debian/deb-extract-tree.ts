/**
 * Extracting many regular files of a .deb's data.tar to a directory (a kernel and its module
 * tree), entirely in TypeScript like deb-extract.ts. The caller chooses, per tar path, where a
 * file goes (or skips it); paths are checked so nothing lands outside `dest`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { readDebData } from './deb-extract.js';

/** `select(path)` gets the tar path without "./" and returns a path relative to dest, or undefined to skip. */
export async function extractTreeFromDeb(
  deb: Buffer,
  dest: string,
  select: (path: string) => string | undefined,
): Promise<number> {
  const root = resolve(dest);
  let count = 0;
  let failure: Error | undefined;
  await readDebData(deb, (entry) => {
    const rel = entry.type === 'File' ? select(entry.path.replace(/^\.?\/+/, '')) : undefined;
    const target = rel === undefined ? undefined : resolve(root, rel);
    if (target === undefined || !target.startsWith(root + sep)) {
      entry.resume();
      return;
    }
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () => {
      try {
        mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
        writeFileSync(target, Buffer.concat(chunks), { mode: (entry.mode ?? 0o644) & 0o755 });
        count++;
      } catch (e) {
        failure ??= e as Error;
      }
    });
  });
  if (failure) throw failure;
  return count;
}
