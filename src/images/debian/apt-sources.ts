/**
 * Reading the host's apt sources: the one-line `sources.list` format and the deb822
 * `.sources` format. Parsing is pure; `readHostAptSources` does the file reads.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseParagraphs, words } from './deb822.js';

export interface AptSource {
  /** 'deb' and/or 'deb-src'. */
  types: string[];
  /** Mirror base URIs, e.g. http://mirror.example/debian. */
  uris: string[];
  suites: string[];
  components: string[];
  /** Restricting architectures, when the entry names any. */
  architectures?: string[];
  /** Keyring file(s) from Signed-By. Fingerprints are ignored (the default keyring is used). */
  signedBy?: string[];
  /** An inline ASCII-armored key from a deb822 Signed-By field. */
  signedByKey?: string;
  enabled: boolean;
  /** Where the entry came from, for messages: "file:line". */
  origin: string;
}

function splitList(v: string): string[] {
  return v.split(/[\s,]+/).filter((w) => w !== '');
}

function keyringPaths(values: string[]): string[] | undefined {
  const paths = values.filter((v) => v.startsWith('/'));
  return paths.length > 0 ? paths : undefined;
}

/** Parse the one-line format: `deb [opt=val ...] URI SUITE [COMPONENT...]`. */
export function parseOneLineSources(text: string, file = 'sources.list'): AptSource[] {
  const out: AptSource[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    let rest = line;
    const typeMatch = /^(deb|deb-src)\s+/.exec(rest);
    if (!typeMatch) return;
    const type = typeMatch[1] as string;
    rest = rest.slice(typeMatch[0].length);
    const opts = new Map<string, string>();
    if (rest.startsWith('[')) {
      const end = rest.indexOf(']');
      if (end < 0) return; // malformed: apt rejects it too
      for (const kv of rest.slice(1, end).trim().split(/\s+/)) {
        const eq = kv.indexOf('=');
        if (eq > 0) opts.set(kv.slice(0, eq).toLowerCase().replace(/[+-]$/, ''), kv.slice(eq + 1));
      }
      rest = rest.slice(end + 1).trim();
    }
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (!uri || !suite) return;
    const arch = opts.get('arch');
    const signed = opts.get('signed-by');
    const src: AptSource = {
      types: [type],
      uris: [uri],
      suites: [suite],
      components,
      enabled: true,
      origin: `${file}:${i + 1}`,
    };
    if (arch) src.architectures = splitList(arch);
    const kr = signed ? keyringPaths(splitList(signed)) : undefined;
    if (kr) src.signedBy = kr;
    out.push(src);
  });
  return out;
}

/** Parse the deb822 `.sources` format. */
export function parseDeb822Sources(text: string, file = 'x.sources'): AptSource[] {
  const out: AptSource[] = [];
  parseParagraphs(text).forEach((p, i) => {
    const uris = words(p, 'uris');
    const suites = words(p, 'suites');
    if (uris.length === 0 || suites.length === 0) return;
    const enabled = (p.get('enabled') ?? 'yes').toLowerCase() !== 'no';
    const src: AptSource = {
      types: words(p, 'types'),
      uris,
      suites,
      components: words(p, 'components'),
      enabled,
      origin: `${file}#${i + 1}`,
    };
    const arch = words(p, 'architectures');
    if (arch.length > 0) src.architectures = arch;
    const signed = p.get('signed-by');
    if (signed !== undefined) {
      if (signed.includes('BEGIN PGP PUBLIC KEY BLOCK')) src.signedByKey = signed;
      else {
        const kr = keyringPaths(splitList(signed));
        if (kr) src.signedBy = kr;
      }
    }
    out.push(src);
  });
  return out;
}

/**
 * The host's apt sources: `etc/apt/sources.list`, then `etc/apt/sources.list.d/*.list`
 * and `*.sources` in name order (apt's order). Missing files are skipped.
 */
export async function readHostAptSources(root = '/'): Promise<AptSource[]> {
  const out: AptSource[] = [];
  const main = join(root, 'etc/apt/sources.list');
  const text = await readFile(main, 'utf8').catch(() => undefined);
  if (text !== undefined) out.push(...parseOneLineSources(text, main));
  const dir = join(root, 'etc/apt/sources.list.d');
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith('.list')) {
      const t = await readFile(path, 'utf8').catch(() => undefined);
      if (t !== undefined) out.push(...parseOneLineSources(t, path));
    } else if (name.endsWith('.sources')) {
      const t = await readFile(path, 'utf8').catch(() => undefined);
      if (t !== undefined) out.push(...parseDeb822Sources(t, path));
    }
  }
  return out;
}

/**
 * The entries that could hold `component` of `suite` for binary `arch`, in order.
 * Whether an entry is really a Debian archive is decided later from its signed InRelease.
 */
export function candidateSources(sources: AptSource[], suite: string, arch: string, component = 'main'): AptSource[] {
  return sources.filter(
    (s) =>
      s.enabled &&
      (s.types.length === 0 || s.types.includes('deb')) &&
      s.suites.includes(suite) &&
      s.components.includes(component) &&
      (s.architectures === undefined || s.architectures.includes(arch)),
  );
}

/** The host's Debian suite (codename) from os-release, falling back to /etc/debian_version. */
export async function hostDebianSuite(root = '/'): Promise<string | undefined> {
  const osr = await readFile(join(root, 'etc/os-release'), 'utf8').catch(() => '');
  const suite = parseOsReleaseCodename(osr);
  if (suite) return suite;
  const dv = await readFile(join(root, 'etc/debian_version'), 'utf8').catch(() => '');
  const m = /^([a-z]+)\//.exec(dv.trim()); // "trixie/sid"
  return m?.[1];
}

export function parseOsReleaseCodename(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = /^VERSION_CODENAME=(.*)$/.exec(line.trim());
    if (m) {
      const v = (m[1] ?? '').replace(/^["']|["']$/g, '');
      if (v !== '') return v;
    }
  }
  return undefined;
}
