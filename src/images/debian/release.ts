/**
 * Parsing a (verified) Release / InRelease body: the fields berth checks and the SHA256
 * list of index files. Pure functions.
 */
import { parseParagraph, type Paragraph } from './deb822.js';

export interface IndexHash {
  sha256: string;
  size: number;
}

export interface ReleaseInfo {
  origin?: string;
  suite?: string;
  codename?: string;
  validUntil?: Date;
  /** Index file path relative to dists/SUITE/ -> hash and size. */
  sha256: Map<string, IndexHash>;
}

/** Parse the multi-line SHA256 field: lines of "<hex> <size> <path>". */
export function parseSha256Field(value: string): Map<string, IndexHash> {
  const out = new Map<string, IndexHash>();
  for (const line of value.split('\n')) {
    const m = /^([0-9a-fA-F]{64})\s+(\d+)\s+(\S+)$/.exec(line.trim());
    if (m) out.set(m[3] as string, { sha256: (m[1] as string).toLowerCase(), size: Number(m[2]) });
  }
  return out;
}

/** Parse the body of a Release file (the text gpgv says was signed). */
export function parseRelease(text: string): ReleaseInfo {
  const p: Paragraph = parseParagraph(text);
  const info: ReleaseInfo = { sha256: parseSha256Field(p.get('sha256') ?? '') };
  const origin = p.get('origin');
  if (origin !== undefined) info.origin = origin;
  const suite = p.get('suite');
  if (suite !== undefined) info.suite = suite;
  const codename = p.get('codename');
  if (codename !== undefined) info.codename = codename;
  const vu = p.get('valid-until');
  if (vu !== undefined) {
    const d = new Date(vu);
    if (!Number.isNaN(d.getTime())) info.validUntil = d;
  }
  return info;
}
