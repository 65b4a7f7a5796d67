/**
 * Extracting many regular files of a .deb's data.tar to a directory (a kernel and its module
 * tree), entirely in TypeScript like deb-extract.ts. The caller chooses, per tar path, where a
 * file goes (or skips it); paths are checked so nothing lands outside `dest`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { ArFormatError, parseAr } from './ar.js';
import { DebFormatError, tarStream } from './deb-extract.js';

/** `select(path)` gets the tar path without "./" and returns a path relative to dest, or undefined to skip. */
export async function extractTreeFromDeb(deb: Buffer, dest: string, select: (path: string) => string | undefined): Promise<number> {
  let members;
  try {
    members = parseAr(deb);
  } catch (e) {
    if (e instanceof ArFormatError) throw new DebFormatError(`not a .deb: ${e.message}`);
    throw e;
  }
  const dataMember = members.find((m) => /^data\.tar(\.(xz|gz|zst))?$/.test(m.name));
  if (!members.some((m) => m.name === 'debian-binary') || !dataMember) throw new DebFormatError('not a .deb: no debian-binary or data.tar member');
  const root = resolve(dest);
  const { Parser } = await import('tar');
  const { stream, zstd } = await tarStream(dataMember.name, dataMember.data);
  let count = 0;
  let failure: Error | undefined;
  const parser = new Parser({
    ...(zstd ? { zstd: true } : {}),
    onReadEntry: (entry) => {
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
    },
  });
  await new Promise<void>((res, rej) => {
    const fail = (e: unknown) => rej(new DebFormatError(`cannot read ${dataMember.name}: ${e instanceof Error ? e.message : String(e)}`));
    parser.on('error', fail);
    parser.on('abort', fail);
    stream.on('error', fail);
    parser.on('end', () => res());
    stream.on('data', (c: Buffer) => parser.write(c));
    stream.on('end', () => parser.end());
  });
  if (failure) throw failure;
  return count;
}

