/**
 * One regular file as a tar stream, for `berth cp FILE ENV:PATH`: node-tar's header, then the file
 * read into reused buffers (recycled-chunks.ts; node-tar reads into a fresh 16 MiB buffer each
 * time), then the padding and the two zero blocks that end an archive. The header is what
 * `tar.c({ portable: true })` writes: no owners, and the mode as node-tar's portable rule gives it.
 * A name that needs a pax header is left to node-tar (undefined).
 */
import type { Stats } from 'node:fs';
import type { Readable } from 'node:stream';
import { RecycledFileStream } from '../drivers/common/recycled-chunks.js';

const BLOCK = 512;
/** The exec channel's largest frame (guest-protocol's MAX_PAYLOAD): one read is one frame. */
const CHUNK = 1 << 20;

/** node-tar's portable mode: never less than rw for the owner, never writable by others. */
const portableMode = (mode: number) => ((mode & 0o7777) | 0o600) & ~0o22;

export async function fileTar(path: string, name: string, st: Stats): Promise<(() => Readable) | undefined> {
  const { Header } = await import('tar');
  const header = Buffer.alloc(BLOCK);
  const h = new Header({ path: name, mode: portableMode(st.mode), size: st.size, mtime: st.mtime, type: 'File' });
  if (h.encode(header) || h.needPax) return undefined;
  const after = Buffer.alloc(((BLOCK - (st.size % BLOCK)) % BLOCK) + 2 * BLOCK);
  return () => new RecycledFileStream(path, { chunk: CHUNK, size: st.size, before: header, after, autoClose: true });
}
