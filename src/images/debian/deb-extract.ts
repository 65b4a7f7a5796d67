/**
 * Pulling one regular file out of a .deb entirely in TypeScript: the ar container is parsed
 * here, data.tar.{xz,gz,zst} is decompressed by a JS/WASM decoder and read with tar@7.
 * No host `dpkg`, `ar` or `xz`.
 */
import { Readable } from 'node:stream';
import { ArFormatError, parseAr } from './ar.js';

export class DebFormatError extends Error {}

export interface ExtractedFile {
  /** The path as it appears in data.tar, e.g. ./bin/busybox. */
  path: string;
  mode: number;
  data: Buffer;
}

function normalize(p: string): string {
  return p.replace(/^\.?\/+/, '');
}

/** Decompress data.tar.* into a Node stream of tar bytes. Gzip and zstd are left to tar. */
export async function tarStream(name: string, data: Buffer): Promise<{ stream: Readable; zstd: boolean }> {
  if (name.endsWith('.xz')) {
    const { XzReadableStream } = (await import('xz-decompress')).default;
    const web = new XzReadableStream(Readable.toWeb(Readable.from([data])) as unknown as ReadableStream<Uint8Array>);
    return { stream: Readable.fromWeb(web as unknown as import('node:stream/web').ReadableStream), zstd: false };
  }
  if (name.endsWith('.zst')) return { stream: Readable.from([data]), zstd: true };
  if (name.endsWith('.gz') || name === 'data.tar') return { stream: Readable.from([data]), zstd: false };
  throw new DebFormatError(`unsupported data member "${name}"`);
}

type TarEntry = import('tar').ReadEntry;

/**
 * Every entry of a .deb's data.tar, in order, to `onEntry` (which must consume or resume it).
 * Throws DebFormatError when the ar container, debian-binary or data.tar is malformed.
 */
export async function readDebData(deb: Buffer, onEntry: (entry: TarEntry) => void): Promise<void> {
  let members;
  try {
    members = parseAr(deb);
  } catch (e) {
    if (e instanceof ArFormatError) throw new DebFormatError(`not a .deb: ${e.message}`);
    throw e;
  }
  const version = members.find((m) => m.name === 'debian-binary');
  if (!version?.data.toString('latin1').startsWith('2.')) {
    throw new DebFormatError('not a .deb: missing or unknown debian-binary member');
  }
  const dataMember = members.find((m) => /^data\.tar(\.(xz|gz|zst))?$/.test(m.name));
  if (!dataMember) throw new DebFormatError('not a .deb: no data.tar member');
  const { Parser } = await import('tar');
  const { stream, zstd } = await tarStream(dataMember.name, dataMember.data);
  const parser = new Parser({ ...(zstd ? { zstd: true } : {}), onReadEntry: onEntry });
  await new Promise<void>((resolve, reject) => {
    const fail = (e: unknown) =>
      reject(new DebFormatError(`cannot read ${dataMember.name}: ${e instanceof Error ? e.message : String(e)}`));
    parser.on('error', fail);
    parser.on('abort', fail);
    stream.on('error', fail);
    parser.on('end', () => resolve());
    stream.on('data', (c: Buffer) => parser.write(c));
    stream.on('end', () => parser.end());
  });
}

/**
 * The first of `wanted` (tar paths, with or without a leading "./") that is a regular file
 * in the .deb's data.tar. Throws DebFormatError when the archive is malformed or none is found.
 */
export async function extractFileFromDeb(deb: Buffer, wanted: string[]): Promise<ExtractedFile> {
  const want = new Set(wanted.map(normalize));
  const found = new Map<string, ExtractedFile>();
  await readDebData(deb, (entry) => {
    const p = normalize(entry.path);
    if (!want.has(p) || entry.type !== 'File') {
      entry.resume();
      return;
    }
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () => found.set(p, { path: entry.path, mode: entry.mode ?? 0o755, data: Buffer.concat(chunks) }));
  });
  for (const w of wanted) {
    const hit = found.get(normalize(w));
    if (hit) return hit;
  }
  throw new DebFormatError(`the .deb has no ${wanted.join(' or ')}`);
}
