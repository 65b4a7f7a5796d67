/**
 * Finding one package's stanza in a Packages index without parsing the whole (tens of MB)
 * file into objects. Pure functions.
 */
import { parseParagraph } from './deb822.js';

export interface PackageEntry {
  package: string;
  version: string;
  architecture: string;
  /** Path of the .deb relative to the mirror root, e.g. pool/main/b/busybox/x.deb. */
  filename: string;
  sha256: string;
  size: number;
  /** The Depends field as written, when the stanza has one. */
  depends?: string;
}

/** Turn one Packages paragraph into a PackageEntry, or undefined when a field is missing. */
export function toPackageEntry(stanza: string): PackageEntry | undefined {
  const p = parseParagraph(stanza);
  const pkg = p.get('package');
  const version = p.get('version');
  const architecture = p.get('architecture');
  const filename = p.get('filename');
  const sha256 = p.get('sha256');
  const size = p.get('size');
  if (!pkg || !version || !architecture || !filename || !sha256 || !size) return undefined;
  if (!/^[0-9a-fA-F]{64}$/.test(sha256) || !/^\d+$/.test(size)) return undefined;
  // The path goes into a URL under the mirror root: refuse anything that could leave it.
  if (filename.startsWith('/') || filename.split('/').some((s) => s === '..' || s === '') || filename.includes('://')) {
    return undefined;
  }
  const entry: PackageEntry = {
    package: pkg,
    version,
    architecture,
    filename,
    sha256: sha256.toLowerCase(),
    size: Number(size),
  };
  const depends = p.get('depends');
  if (depends !== undefined) entry.depends = depends;
  return entry;
}

/**
 * The stanza for package `name` built for `arch` (or `all`) in a Packages index, or
 * undefined. The Debian archive lists one version per package per suite; the first wins.
 */
export function findPackage(index: string, name: string, arch: string): PackageEntry | undefined {
  const needle = `Package: ${name}\n`;
  let from = 0;
  for (;;) {
    const at = index.indexOf(needle, from);
    if (at < 0) return undefined;
    from = at + needle.length;
    if (at !== 0 && index[at - 1] !== '\n') continue; // not at a line start
    const end = index.indexOf('\n\n', at);
    const entry = toPackageEntry(index.slice(at, end < 0 ? undefined : end));
    if (entry && entry.package === name && (entry.architecture === arch || entry.architecture === 'all')) return entry;
  }
}
